import { it } from 'vitest'
import { checkProperty, fc } from '@quire/test-kit'
import { EventStore, memoryBackend } from '@quire/event-store'
import { checkAgainstModel, EventStoreModel, modelCommands, type RealStore } from './event-store-model.js'

const streams = ['s0', 's1', 's2', 's3']

it('memoryBackend agrees with the model over random command sequences (append, multi-append, retries, deletes, metadata, concurrency, reopen)', async () => {
  await checkProperty(
    fc.asyncProperty(fc.commands(modelCommands({ streams, reopen: true }), { maxCommands: 60 }), async (commands) => {
      const backend = memoryBackend()
      const real: RealStore = {
        store: await EventStore.open({ backend }),
        reopen: async () => {
          await real.store.close()
          return EventStore.open({ backend })
        },
      }
      const model = new EventStoreModel()
      try {
        await fc.asyncModelRun(() => ({ model, real }), commands)
        await checkAgainstModel(model, real.store, streams)
      } finally {
        await real.store.close()
      }
    }),
    { numRuns: 200 },
  )
})
