import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { msgpackCodec, scanFrames } from '@quire/codec'
import { runAndKill, spawnChild } from '../child-process.js'
import type { Scenario } from '../scenario.js'

/**
 * The payload of record `seq`: always the same bytes (a msgpack record with a filler of
 * 0..1999 bytes), so the parent can check what is on disk byte for byte. The writer child
 * imports it from here.
 */
export function framesRecord(seq: number): Uint8Array {
  const fill = new Uint8Array((seq * 7919) % 2000)
  for (let i = 0; i < fill.length; i++) fill[i] = (seq + i) & 0xff
  return msgpackCodec.encode({ seq, kind: 'demo-record', fill })
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Reads the file and checks it against what the writers acknowledged; returns what it found. */
async function inspect(file: string, ackedUpTo: number): Promise<{ records: number; tornBytes: number }> {
  const bytes = await readFile(file)
  const scan = scanFrames(bytes)
  if (scan.status === 'corrupt') throw new Error(`corruption at byte ${scan.corruptAt}: a kill must only ever tear the tail`)
  scan.frames.forEach((frame, seq) => {
    // Nothing invented: record i on disk is exactly the record the writer wrote as seq i.
    if (!sameBytes(frame.payload, framesRecord(seq))) throw new Error(`record ${seq} on disk differs from what was written`)
  })
  // Nothing lost: every acknowledged record is there.
  if (scan.frames.length <= ackedUpTo) {
    throw new Error(`record ${ackedUpTo} was acknowledged but only ${scan.frames.length} records are on disk`)
  }
  return { records: scan.frames.length, tornBytes: bytes.length - scan.end }
}

export const scenario: Scenario = {
  name: 'frames',
  title: 'Framed records: a writer SIGKILLed at random, every acknowledged record recovered byte for byte',
  async run(ctx) {
    const file = join(ctx.dir, 'records.log')
    const writer = new URL('../children/frames-writer.ts', import.meta.url)
    let ackedUpTo = -1
    let expected = { records: 0, tornBytes: 0 }
    let repairs = 0
    for (let round = 1; round <= ctx.rounds; round++) {
      const child = spawnChild(writer, [file])
      const killAfterMs = 30 + Math.floor(Math.random() * 270)
      let start: { next: number; repaired: number } | undefined
      let acksThisRound = 0
      const { killed } = await runAndKill(child, 15_000, (line) => {
        const [tag, a = '', b = ''] = line.split(' ')
        if (tag === 'start') {
          start = { next: Number(a), repaired: Number(b) }
          // The clock starts once the writer has recovered and begins to append.
          setTimeout(() => child.kill('SIGKILL'), killAfterMs)
        } else if (tag === 'ack') {
          ackedUpTo = Math.max(ackedUpTo, Number(a))
          acksThisRound++
        }
      })
      if (!killed) throw new Error(`round ${round}: the writer exited by itself`)
      if (start === undefined) throw new Error(`round ${round}: the writer died before it started`)
      if (start.next !== expected.records || start.repaired !== expected.tornBytes) {
        throw new Error(
          `round ${round}: writer resumed at ${start.next} after repairing ${start.repaired} B; expected ${expected.records} and ${expected.tornBytes} B`,
        )
      }
      if (start.repaired > 0) repairs++
      expected = await inspect(file, ackedUpTo)
      ctx.log(
        `round ${round}: writer resumed at seq ${start.next}` +
          (start.repaired > 0 ? ` after cutting a torn tail of ${start.repaired} B` : '') +
          `, killed ${killAfterMs} ms later with ${acksThisRound} records acknowledged; ` +
          `on disk: ${expected.records} good records` +
          (expected.tornBytes > 0 ? ` + a torn tail of ${expected.tornBytes} B` : ', clean end'),
      )
    }
    // A last writer only repairs: the file must end clean with every record in place.
    const { killed } = await runAndKill(spawnChild(writer, [file, '--repair-only']), 15_000, (line) => {
      const [tag, , b = ''] = line.split(' ')
      if (tag === 'start' && Number(b) > 0) repairs++
    })
    if (killed) throw new Error('the repair-only writer did not finish')
    const final = await inspect(file, ackedUpTo)
    if (final.tornBytes !== 0) throw new Error('the repair left a torn tail')
    ctx.log(
      `after ${ctx.rounds} kills: ${final.records} records, all ${ackedUpTo + 1} acknowledged ones byte-identical; ` +
        `${repairs} torn tail(s) repaired`,
    )
  },
}
