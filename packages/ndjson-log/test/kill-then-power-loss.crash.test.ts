import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { NdjsonLog } from '../src/index.js'

// A SIGKILL leaves writes the OS never synced; the next process's recovery sees them. If it builds
// on them without making them durable, a power loss afterwards takes them away, and with them
// records the new process acknowledged.

describe('NdjsonLog: a SIGKILL, recovery and new appends, then a power loss', () => {
  it('keeps every record acknowledged before the kill and after recovery', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 150 }),
        arbSeed(),
        fc.boolean(),
        async (batches, killAfterOps, seed, pessimistic) => {
          const sim = new SimFileSystem({ pessimistic, seed })
          const acked = new Map<number, unknown>()
          sim.haltAfter(killAfterOps)
          try {
            const log = await NdjsonLog.open('/data/ledger.ndjson', { fs: sim })
            await settle(
              batches.map(async (texts) => {
                const written = await log.appendBatch(texts.map((text) => ({ text })))
                for (const w of written) acked.set(w.seq, w.record)
              }),
            )
          } catch {
            // killed
          }
          const next = sim.killProcess()
          const log = await NdjsonLog.open('/data/ledger.ndjson', { fs: next })
          const recovered: { seq: number; record: unknown }[] = []
          for await (const r of log.read()) recovered.push({ seq: r.seq, record: r.record })
          for (const [seq, record] of acked) expect(recovered).toContainEqual({ seq, record })
          const after = await log.appendBatch([{ text: 'after-1' }, { text: 'after-2' }])
          await log.close()

          const image = next.crash(seed ^ 0x2f6b3c1d)
          const reopened = await NdjsonLog.open('/data/ledger.ndjson', { fs: image })
          const final: { seq: number; record: unknown }[] = []
          for await (const r of reopened.read()) final.push({ seq: r.seq, record: r.record })
          await reopened.close()
          expect(final).toEqual([...recovered, ...after.map((r) => ({ seq: r.seq, record: r.record }))])
        },
      ),
      { numRuns: propertyRuns(60) },
    )
  })
})
