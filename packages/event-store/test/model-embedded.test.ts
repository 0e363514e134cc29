// A1's model-based command test (event-store-model.ts) against each embedded backend on the
// simulated disk: random sequences of appends, multi-appends, retries, id reuse, deletes,
// tombstones, metadata, concurrent appends and reads, with reopens that are either a clean
// close or a power cut (no close: whatever was acknowledged must be there, exactly as the model
// says, since under sync 'always' nothing acknowledged is lost and nothing is in flight).
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { describe, it } from 'vitest'
import { EventStore } from '../src/event-store.js'
import { checkAgainstModel, EventStoreModel, modelCommands, type RealStore } from './event-store-model.js'
import { backendFor, type BackendName } from './parts.js'

const streams = ['s0', 's1', 's2', 's3']

const CASES: { name: BackendName; runs: number }[] = [
  { name: 'wal', runs: 40 },
  { name: 'ndjson', runs: 40 },
  { name: 'record-keeper', runs: 20 },
]

describe.each(CASES)('model: $name backend', ({ name, runs }) => {
  it('agrees with the model over random command sequences, with clean reopens and power cuts', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.commands(modelCommands({ streams, reopen: true }), { maxCommands: 50, size: 'max' }),
        fc.infiniteStream(fc.boolean()),
        arbSeed(),
        fc.boolean(),
        async (commands, cuts, seed, pessimistic) => {
          let fs: SimFileSystem = new SimFileSystem({ pessimistic, seed })
          let crashSeed = seed
          const open = (disk: FileSystem): Promise<EventStore> => EventStore.open({ backend: backendFor(name, disk, { segmentBytes: 2048 }) })
          const cut = cuts[Symbol.iterator]()
          const real: RealStore = {
            store: await open(fs),
            reopen: async () => {
              if (cut.next().value === true) {
                fs = fs.crash(++crashSeed)
              } else {
                await real.store.close()
              }
              return open(fs)
            },
          }
          const model = new EventStoreModel()
          try {
            await fc.asyncModelRun(() => ({ model, real }), commands)
            await checkAgainstModel(model, real.store, streams)
          } finally {
            await real.store.close()
          }
        },
      ),
      { numRuns: propertyRuns(runs) },
    )
  })
})
