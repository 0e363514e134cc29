import { Depot, ObjectState, RecordKeeper } from '@quire/fs-record-keeper'
import { runAndKill, spawnChild } from '../child-process.js'
import type { Scenario } from '../scenario.js'

/** The receipt object the writer stores under `id`: size and bytes follow from the id alone. */
export function receiptBytes(id: string): Uint8Array {
  const seed = parseInt(id.slice(0, 8), 16)
  const out = new Uint8Array(200 + (seed % 90_000))
  for (let i = 0; i < out.byteLength; i++) out[i] = (seed + i * 13) & 0xff
  return out
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))

interface Found {
  readonly events: number
  readonly unacknowledged: number
  readonly objects: number
  /** Objects a kill left WRITABLE (reserved, finalize not acknowledged): never READABLE. */
  readonly writable: number
}

/** Opens both stores and checks them against everything the writers acknowledged. */
async function inspect(dir: string, acked: readonly string[], receipts: readonly string[], kills: number): Promise<Found> {
  const rk = await RecordKeeper.open(dir)
  const position = new Map<string, number>()
  let events = 0
  try {
    for await (const event of rk.events()) {
      // Nothing invented or torn: every event on the chain reads back whole, as the writer made it.
      if (event.type !== 'TransferMade' || typeof event.amountCents !== 'number' || !(event.at instanceof Date)) {
        throw new Error(`event ${event.id} is not a well-formed TransferMade`)
      }
      position.set(event.id, events++)
    }
    const report = await rk.verify()
    if (!report.ok) throw new Error(`verify found problems after recovery: ${JSON.stringify(report)}`)
  } finally {
    await rk.close()
  }
  // Nothing lost, nothing reordered: the acknowledged adds are there, in acknowledgement order.
  let last = -1
  for (const id of acked) {
    const at = position.get(id)
    if (at === undefined) throw new Error(`event ${id} was acknowledged but is not in the history`)
    if (at <= last) throw new Error(`event ${id} is out of acknowledgement order`)
    last = at
  }
  const depot = await Depot.open(dir)
  try {
    for (const id of receipts) {
      if ((await depot.state(id)) !== ObjectState.READABLE) throw new Error(`receipt ${id} was finalized but is not READABLE`)
      const expected = receiptBytes(id)
      if (!sameBytes(await depot.read(id, 0, expected.byteLength), expected)) throw new Error(`receipt ${id} differs`)
    }
    const report = await depot.verify()
    if (!report.ok) throw new Error(`depot verify found problems: ${JSON.stringify(report)}`)
    // READABLE objects beyond the acknowledged ones: at most one finalize per kill whose ack was cut off.
    if (report.readable < receipts.length || report.readable > receipts.length + kills) {
      throw new Error(`${report.readable} READABLE objects, but ${receipts.length} finalizes were acknowledged`)
    }
    return { events, unacknowledged: events - acked.length, objects: report.readable, writable: report.writable }
  } finally {
    await depot.close()
  }
}

export const scenario: Scenario = {
  name: 'record-keeper',
  title: 'Record keeper + depot: a writer SIGKILLed at random, every acknowledged event and object recovered',
  async run(ctx) {
    const writer = new URL('../children/record-keeper-writer.ts', import.meta.url)
    const acked: string[] = []
    const receipts: string[] = []
    let expectedEvents = 0
    for (let round = 1; round <= ctx.rounds; round++) {
      const child = spawnChild(writer, [ctx.dir])
      const killAfterMs = 50 + Math.floor(Math.random() * 450)
      let start: { events: number; orphans: number; tailRepaired: boolean } | undefined
      let acksThisRound = 0
      const { killed } = await runAndKill(child, 15_000, (line) => {
        const [tag, a = '', b = '', c = ''] = line.split(' ')
        if (tag === 'start') {
          start = { events: Number(a), orphans: Number(b), tailRepaired: c === '1' }
          setTimeout(() => child.kill('SIGKILL'), killAfterMs)
        } else if (tag === 'ack') {
          acked.push(a)
          acksThisRound++
        } else if (tag === 'obj') {
          receipts.push(a)
        }
      })
      if (!killed) throw new Error(`round ${round}: the writer exited by itself`)
      if (start === undefined) throw new Error(`round ${round}: the writer died before it started`)
      if (start.events !== expectedEvents) {
        throw new Error(`round ${round}: the writer recovered ${start.events} events; the last check found ${expectedEvents}`)
      }
      const found = await inspect(ctx.dir, acked, receipts, round)
      expectedEvents = found.events
      ctx.log(
        `round ${round}: writer recovered ${start.events} events` +
          (start.orphans > 0 ? `, removed ${start.orphans} unlinked event file(s)` : '') +
          (start.tailRepaired ? ', repaired a stale tail file' : '') +
          `; killed ${killAfterMs} ms later with ${acksThisRound} adds acknowledged. ` +
          `On disk: ${found.events} events, every one of the ${acked.length} acknowledged in order` +
          (found.unacknowledged > 0 ? ` (+${found.unacknowledged} so far whose ack a kill cut off)` : '') +
          `; ${found.objects} receipts READABLE, byte for byte` +
          (found.writable > 0 ? `, ${found.writable} left WRITABLE by kills` : ''),
      )
    }
  },
}
