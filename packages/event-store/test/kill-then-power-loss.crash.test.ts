// EVENT-STORE.md (d) 44: the process is killed (SIGKILL on the simulator: what it wrote is still
// in the OS, synced or not), the next process recovers and appends more, then the power goes.
// Everything acknowledged on either side of the kill must survive, and what the second process
// read at open must still be there: recovery makes it durable before building on it.
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { EventStore } from '../src/event-store.js'
import { backendFor, type BackendName } from './parts.js'
import { arbWaves, checkAppends, checkLogShape, digest, readEverything, runWaves, type Issued } from './store-workload.js'

const CASES: { name: BackendName; runs: number }[] = [
  { name: 'wal', runs: 30 },
  { name: 'ndjson', runs: 30 },
  { name: 'record-keeper', runs: 15 },
]

describe.each(CASES)('kill, recovery and new appends, then a power loss: $name', ({ name, runs }) => {
  const open = (fs: FileSystem): Promise<EventStore> => EventStore.open({ backend: backendFor(name, fs, { segmentBytes: 2048 }) })

  it('keeps everything acknowledged before the kill and after recovery, and what recovery found', async () => {
    await checkProperty(
      fc.asyncProperty(arbWaves, arbWaves, fc.integer({ min: 0, max: 400 }), arbSeed(), fc.boolean(), async (before, after, killAfterOps, seed, pessimistic) => {
        const sim = new SimFileSystem({ pessimistic, seed })
        sim.haltAfter(killAfterOps)
        let first: Issued[] = []
        try {
          first = await runWaves(await open(sim), before)
        } catch {
          // killed while opening
        }
        const next = sim.killProcess()
        const store = await open(next)
        const found = await digest(store)
        checkAppends(checkLogShape(await readEverything(store), first), first, { durable: true, resultsHold: true })
        const second = await runWaves(store, after)
        // No close: the power goes while the second process runs.
        const image = next.crash(seed ^ 0x5bd1e995)
        const reopened = await open(image)
        const all = await readEverything(reopened)
        const issued = [...first, ...second]
        const byId = checkLogShape(all, issued)
        checkAppends(byId, issued, { durable: true, resultsHold: true })
        expect((await digest(reopened)).slice(0, found.length)).toEqual(found)
        await reopened.close()
      }),
      { numRuns: propertyRuns(runs) },
    )
  })
})
