import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { MvccStore } from '../src/index.js'

// A SIGKILL leaves writes the OS never synced; the next process's recovery sees them. If it builds
// on them without making them durable, a power loss afterwards takes them away, and with them
// commits the new process acknowledged.

async function dump(db: MvccStore): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  const tx = db.begin({ readOnly: true })
  for await (const [key, value] of tx.scan()) out[key] = value
  await tx.abort()
  return out
}

describe('MvccStore: a SIGKILL, recovery and new commits, then a power loss', () => {
  it('keeps every commit acknowledged before the kill and after recovery', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat(1000)), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 150 }),
        fc.boolean(),
        arbSeed(),
        fc.boolean(),
        async (writes, killAfterOps, checkpointMidway, seed, pessimistic) => {
          const sim = new SimFileSystem({ pessimistic, seed })
          const acked = new Map<string, number>()
          sim.haltAfter(killAfterOps)
          try {
            const db = await MvccStore.open('/data/db', { fs: sim })
            await settle(
              writes.map(async ([key, value], i) => {
                await db.transaction(async (tx) => tx.put(`${key}${i}`, value))
                acked.set(`${key}${i}`, value)
                if (checkpointMidway && i === Math.floor(writes.length / 2)) await db.checkpoint()
              }),
            )
          } catch {
            // killed
          }
          const next = sim.killProcess()
          const db = await MvccStore.open('/data/db', { fs: next })
          const recovered = await dump(db)
          for (const [key, value] of acked) expect(recovered[key]).toBe(value)
          await db.transaction(async (tx) => {
            await tx.put('after', 1)
          })
          await db.close()

          const image = next.crash(seed ^ 0x1b873593)
          const reopened = await MvccStore.open('/data/db', { fs: image })
          expect(await dump(reopened)).toEqual({ ...recovered, after: 1 })
          await reopened.close()
        },
      ),
      { numRuns: propertyRuns(50) },
    )
  })
})
