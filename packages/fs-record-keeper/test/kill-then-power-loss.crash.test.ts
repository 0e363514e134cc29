import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { RecordKeeper, type RecordKeeperEvent } from '../src/index.js'

// A SIGKILL leaves the OS with writes that were never synced; recovery in the next process sees
// them. If recovery builds on them without making them durable, a power loss afterwards takes
// them away, and with them the link to everything added after recovery.

const DIR = '/store'
const arbBursts = fc
  .array(fc.array(fc.uuid({ version: 4 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 })
  .map((bursts) => {
    const seen = new Set<string>()
    return bursts
      .map((b) => b.filter((id) => !seen.has(id) && seen.add(id)).map((id) => ({ id, n: seen.size })))
      .filter((b) => b.length > 0)
  })

async function walk(rk: RecordKeeper): Promise<RecordKeeperEvent[]> {
  const out: RecordKeeperEvent[] = []
  for await (const event of rk.events()) out.push(event)
  return out
}

async function addBursts(fs: FileSystem, bursts: readonly (readonly RecordKeeperEvent[])[], acked: Set<string>): Promise<void> {
  const rk = await RecordKeeper.open(DIR, { fs })
  for (const burst of bursts) {
    const { rejected } = await settle(burst.map((e) => rk.add(e).then(() => acked.add(e.id))))
    if (rejected.length > 0) break
  }
  await rk.close()
}

describe('RecordKeeper: a SIGKILL, recovery, then a power loss', () => {
  it('keeps everything acknowledged before the kill and after recovery', async () => {
    await checkProperty(
      fc.asyncProperty(
        arbBursts,
        fc.integer({ min: 0, max: 200 }),
        arbSeed(),
        fc.boolean(),
        async (bursts, killAfterOps, seed, pessimistic) => {
          const sim = new SimFileSystem({ pessimistic, seed })
          const acked = new Set<string>()
          sim.haltAfter(killAfterOps)
          await addBursts(sim, bursts, acked).catch(() => undefined)
          const next = sim.killProcess()

          const rk = await RecordKeeper.open(DIR, { fs: next })
          const recovered = await walk(rk)
          for (const id of acked) expect(recovered.map((e) => e.id)).toContain(id)
          const after = [
            { id: 'aaaaaaaa-0000-4000-8000-000000000001', n: -1 },
            { id: 'aaaaaaaa-0000-4000-8000-000000000002', n: -2 },
          ]
          for (const e of after) await rk.add(e)
          await rk.close()

          const image = next.crash(seed ^ 0x5bd1e995)
          const reopened = await RecordKeeper.open(DIR, { fs: image })
          expect(await walk(reopened)).toEqual([...recovered, ...after])
          await reopened.close()
        },
      ),
      { numRuns: propertyRuns(60) },
    )
  })
})
