import { readdir } from 'node:fs/promises'
import { Wal } from '@quire/wal'
import { runAndKill, spawnChild } from '../child-process.js'
import type { Scenario } from '../scenario.js'

interface Audit {
  readonly lastSeq: number
  readonly transfers: number
  readonly money: number
  readonly actions: string[]
}

/** Recovers the log as the next writer would, and audits the ledger against the acknowledgements. */
async function audit(dir: string, acked: ReadonlyMap<string, number>): Promise<Audit> {
  const wal = await Wal.open(dir)
  const actions = wal.recoveryReport.actions.map((a) => `${a.action} ${a.segment}@${a.offset} (${a.bytes} B)`)
  const text = new TextDecoder()
  const legs = new Map<string, string[]>()
  const seen = new Map<string, number>()
  let expectedSeq = 1
  let money = 0
  let injected = 0
  for await (const e of wal.replay()) {
    if (e.seq !== expectedSeq++) throw new Error(`seq ${e.seq} where ${expectedSeq - 1} was expected`)
    const [kind = '', tx = ''] = text.decode(e.key).split('/')
    const amount = Number(text.decode(e.value))
    seen.set(tx, e.seq)
    if (kind === 'debit') money -= amount
    else money += amount
    if (kind === 'open' || kind === 'deposit') injected += amount
    if (kind === 'debit' || kind === 'credit') legs.set(tx, [...(legs.get(tx) ?? []), kind])
  }
  const lastSeq = wal.lastSeq
  await wal.close()
  for (const [tx, kinds] of legs) if (kinds.join() !== 'debit,credit') throw new Error(`transfer ${tx} is half there: ${kinds.join()}`)
  if (money !== injected) throw new Error(`money was created or lost: balances ${money}, deposits ${injected}`)
  for (const [tx, seq] of acked) {
    if (seen.get(tx) !== seq) throw new Error(`transaction ${tx} was acknowledged at seq ${seq} but replay has ${seen.get(tx) ?? 'nothing'}`)
  }
  return { lastSeq, transfers: legs.size, money, actions }
}

export const scenario: Scenario = {
  name: 'wal',
  title: 'WAL bank ledger: a group-committing writer SIGKILLed at random; every acknowledged entry replayed, no half transfer',
  async run(ctx) {
    const writer = new URL('../children/wal-writer.ts', import.meta.url)
    const acked = new Map<string, number>()
    let lastSeq = 0
    for (let round = 1; round <= ctx.rounds; round++) {
      const child = spawnChild(writer, [ctx.dir, String(round)])
      const killAfterMs = 50 + Math.floor(Math.random() * 400)
      let started: number | undefined
      let acksThisRound = 0
      const { killed } = await runAndKill(child, 15_000, (line) => {
        const [tag, tx = '', seq = ''] = line.split(' ')
        if (tag === 'start') {
          started = Number(tx)
          setTimeout(() => child.kill('SIGKILL'), killAfterMs)
        } else if (tag === 'ack') {
          acked.set(tx, Number(seq))
          acksThisRound++
        }
      })
      if (!killed) throw new Error(`round ${round}: the writer exited by itself`)
      if (started === undefined) throw new Error(`round ${round}: the writer died before it started`)
      if (started !== lastSeq) throw new Error(`round ${round}: the writer resumed at seq ${started}, expected ${lastSeq}`)
      const found = await audit(ctx.dir, acked)
      lastSeq = found.lastSeq
      const segments = (await readdir(ctx.dir)).filter((f) => f.endsWith('.wal')).length
      ctx.log(
        `round ${round}: killed ${killAfterMs} ms after resuming at seq ${started}, ${acksThisRound} transactions acknowledged; ` +
          `recovery ${found.actions.length > 0 ? found.actions.join(', ') : 'found a clean end'}; ` +
          `${found.lastSeq} entries in ${segments} segment(s), ${found.transfers} complete transfers, money ${found.money} = deposits`,
      )
    }
    ctx.log(`all ${acked.size} acknowledged transactions replayed with the seq they were acknowledged at`)
  },
}
