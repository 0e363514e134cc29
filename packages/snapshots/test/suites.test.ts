import type { FileSystem } from '@quire/vfs'
import { storeLifecycleSuite } from '@quire/test-kit'
import { SnapshotStore } from '../src/index.js'

// The shared store-lifecycle suite of @quire/test-kit, run against the snapshot store: LOCKED on a
// second open, CLOSED after close, close idempotent, asyncDispose, POISONED after a failed sync
// (of a save's temp file) with the first cause kept, and bad input writes nothing.
const DIR = '/store'

/** Every key's newest snapshot, in key order. */
async function contents(store: SnapshotStore): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const key of store.keys()) {
    const snapshot = await store.load(key)
    out.push([key, snapshot?.position, snapshot?.state])
  }
  return out
}

storeLifecycleSuite<SnapshotStore>({
  name: 'SnapshotStore',
  root: DIR,
  dataFiles: /\.snap\.tmp$/,
  open: (fs: FileSystem) => SnapshotStore.open(DIR, { fs }),
  close: (store) => store.close(),
  dispose: (store) => store[Symbol.asyncDispose](),
  write: (store, i) => store.save(`k${i}`, { position: i, state: { i } }),
  writeInvalid: (store) => store.save('k1', { position: -1, state: { i: -1 } }),
  read: contents,
})
