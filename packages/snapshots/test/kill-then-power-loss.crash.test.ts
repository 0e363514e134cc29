import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { SnapshotStore } from '../src/index.js'

// A SIGKILL leaves writes the OS never synced; the next process must not build on them in a way
// a later power loss could take away together with what it acknowledged itself.

describe('SnapshotStore: a SIGKILL, a new process saving, then a power loss', () => {
  it('what the new process acknowledged survives', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b'), position: fc.nat(50) }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 120 }),
        arbSeed(),
        fc.boolean(),
        async (saves, killAfterOps, seed, pessimistic) => {
          const sim = new SimFileSystem({ pessimistic, seed })
          sim.haltAfter(killAfterOps)
          try {
            const store = await SnapshotStore.open('/data/snaps', { fs: sim })
            await settle(saves.map((s, i) => store.save(s.key, { position: s.position, state: { i } })))
          } catch {
            // killed
          }
          const next = sim.killProcess()
          const store = await SnapshotStore.open('/data/snaps', { fs: next })
          for (const key of ['a', 'b']) await store.save(key, { position: 1000, state: { key, after: true } })
          await store.close()

          const image = next.crash(seed ^ 0x2545f491)
          const reopened = await SnapshotStore.open('/data/snaps', { fs: image })
          for (const key of ['a', 'b']) {
            expect((await reopened.load(key))?.state).toEqual({ key, after: true })
          }
          await reopened.close()
        },
      ),
      { numRuns: propertyRuns(60) },
    )
  })
})
