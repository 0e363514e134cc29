import { diskFullSuite } from '@quire/test-kit'
import { join } from 'node:path'
import { expect } from 'vitest'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend, type EventStoreBackend } from '../src/index.js'

const dataOf = (i: number): { i: number; pad: string } => ({ i, pad: 'p'.repeat(1000 + (i % 5) * 500) })

const backends: [string, (path: string) => EventStoreBackend, string][] = [
  ['wal', (path) => walBackend(path, { segmentBytes: 256 * 1024 }), 'wal'],
  ['ndjson', (path) => ndjsonBackend(path), 'events.ndjson'],
  ['record-keeper', (path) => recordKeeperBackend(path), 'rk'],
]

// The first append to meet the full disk names ENOSPC; typed codes only.
for (const [name, backend, file] of backends) {
  diskFullSuite<EventStore, string>({
    name: `EventStore on the ${name} backend`,
    what: 'append',
    location: (disk) => join(disk, file),
    open: (path) => EventStore.open({ backend: backend(path) }),
    close: (store) => store.close(),
    write: async (store, i) => String((await store.appendToStream(`s-${i % 10}`, { type: 'Filled', data: dataOf(i) })).position),
    failureCodes: ['APPEND_FAILED', 'POISONED'],
    enospc: 'some',
    supports: { closeMayFailWhenPoisoned: true },
    check: async (store, acked) => {
      const found = new Map<string, unknown>()
      for await (const e of store.readAll()) found.set(String(e.position), e.data)
      for (const [position, i] of acked) expect(found.get(position), `acknowledged position ${position}`).toEqual(dataOf(i))
    },
    writeAfter: async (store) => {
      await store.appendToStream('after', { type: 'Freed', data: {} })
    },
  })
}
