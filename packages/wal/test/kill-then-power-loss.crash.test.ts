import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'

// A SIGKILL leaves writes the OS never synced; the next process's recovery sees them. If it builds
// on them without making them durable, a power loss afterwards takes them away, and with them
// entries the new process acknowledged.

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b))

describe('Wal: a SIGKILL, recovery and new appends, then a power loss', () => {
  it('keeps every entry acknowledged before the kill and after recovery, in one increasing sequence', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 150 }),
        fc.constantFrom(1024, 4096, 64 * 1024),
        arbSeed(),
        fc.boolean(),
        async (batches, killAfterOps, segmentBytes, seed, pessimistic) => {
          const sim = new SimFileSystem({ pessimistic, seed })
          const acked = new Map<number, string>()
          sim.haltAfter(killAfterOps)
          try {
            const wal = await Wal.open('/data/wal', { fs: sim, segmentBytes })
            await settle(
              batches.map(async (values) => {
                const entries = await wal.appendBatch(values.map((v) => ({ op: 'put' as const, key: enc('k'), value: enc(v) })))
                for (const e of entries) acked.set(e.seq, dec(e.value)!)
              }),
            )
          } catch {
            // killed
          }
          const next = sim.killProcess()
          const wal = await Wal.open('/data/wal', { fs: next, segmentBytes })
          const recovered: { seq: number; value: string | null }[] = []
          for await (const e of wal.replay()) recovered.push({ seq: e.seq, value: dec(e.value) })
          for (const [seq, value] of acked) expect(recovered).toContainEqual({ seq, value })
          const after = await wal.appendBatch([
            { op: 'put', key: enc('k'), value: enc('after-1') },
            { op: 'put', key: enc('k'), value: enc('after-2') },
          ])
          await wal.close()

          const image = next.crash(seed ^ 0x6c8e9cf5)
          const reopened = await Wal.open('/data/wal', { fs: image, segmentBytes })
          const final: { seq: number; value: string | null }[] = []
          for await (const e of reopened.replay()) final.push({ seq: e.seq, value: dec(e.value) })
          await reopened.close()
          expect(final).toEqual([...recovered, ...after.map((e) => ({ seq: e.seq, value: dec(e.value) }))])
        },
      ),
      { numRuns: propertyRuns(60) },
    )
  })
})
