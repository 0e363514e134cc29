import { checkMutationFuzz } from '@quire/test-kit'
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { beforeAll, describe, it } from 'vitest'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend, type EventStoreBackend } from '../src/index.js'

const DIR = '/es'
const backends: [string, (fs: FileSystem) => EventStoreBackend][] = [
  ['wal', (fs) => walBackend(`${DIR}/wal`, { fs, segmentBytes: 1024 })],
  ['ndjson', (fs) => ndjsonBackend(`${DIR}/events.ndjson`, { fs })],
  ['record-keeper', (fs) => recordKeeperBackend(`${DIR}/rk`, { fs })],
]
const CODES = ['CORRUPT', 'NOT_NDJSON_LOG', 'UNSUPPORTED_VERSION', 'UNSUPPORTED']

describe('mutation fuzzer at open: every embedded layout, its log and its state files flipped, cut, extended, swapped', () => {
  for (const [name, backendOn] of backends) {
    const base = new SimFileSystem()
    const written = new Set<string>()
    beforeAll(async () => {
      // Appends to several streams, a multi-stream append, stream metadata, a soft delete, a snapshot.
      const store = await EventStore.open({ backend: backendOn(base) })
      for (let i = 0; i < 24; i++) {
        const data = { i, s: 'd'.repeat(i % 7) }
        await store.appendToStream(`s-${i % 4}`, { type: i % 2 === 0 ? 'Even' : 'Odd', data })
        written.add(`s-${i % 4}:${i % 2 === 0 ? 'Even' : 'Odd'}:${JSON.stringify(data)}`)
      }
      await store.multiStreamAppend([
        { streamName: 'a', events: [{ type: 'M', data: { m: 1 } }] },
        { streamName: 'b', events: [{ type: 'M', data: { m: 2 } }] },
      ])
      written.add('a:M:{"m":1}').add('b:M:{"m":2}')
      await store.setStreamMetadata('s-1', { maxCount: 3 })
      await store.deleteStream('s-2')
      await store.close()
    })

    it(`${name}: a typed corruption code, or a store whose $all shows only events that were appended`, async () => {
      await checkMutationFuzz(
        {
          base,
          root: DIR,
          open: (fs) => EventStore.open({ backend: backendOn(fs) }),
          readAll: async (store) => {
            const out: string[] = []
            for await (const e of store.readAll()) out.push(`${e.streamName}:${e.type}:${JSON.stringify(e.data)}`)
            await store.appendToStream('after', { type: 'After', data: {} })
            return out
          },
          close: (store) => store.close(),
          written,
          codes: CODES,
        },
        { numRuns: 80 },
      )
    })
  }
})
