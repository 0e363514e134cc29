import { checkMutationFuzz } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { beforeAll, describe, it } from 'vitest'
import { SnapshotStore } from '../src/index.js'

const DIR = '/snaps'
const KEYS = ['alpha', 'beta', 'gamma']
const written = new Set<string>()
const base = new SimFileSystem()

beforeAll(async () => {
  // Several keys, several snapshots each (keep 2 older), two schema versions.
  const store = await SnapshotStore.open(DIR, { fs: base })
  for (let position = 1; position <= 6; position++) {
    for (const key of KEYS) {
      const state = { key, position, items: Array.from({ length: position }, (_, i) => i) }
      await store.save(key, { position, state, schemaVersion: 1 + (position % 2) })
      written.add(JSON.stringify({ key, position, state }))
    }
  }
  await store.close()
})

describe('mutation fuzzer at open: snapshot files flipped, cut, extended, swapped', () => {
  it('load skips what is damaged: it returns a snapshot that was saved (of its own key) or none, and the store saves again', async () => {
    await checkMutationFuzz(
      {
        base,
        root: DIR,
        open: (fs) => SnapshotStore.open(DIR, { fs, onCorrupt: () => undefined }),
        readAll: async (store) => {
          const out: string[] = []
          for (const key of KEYS) {
            const snap = await store.load(key)
            if (snap !== undefined) out.push(JSON.stringify({ key: snap.key, position: snap.position, state: snap.state }))
            const older = await store.load(key, { maxPosition: 3 })
            if (older !== undefined) out.push(JSON.stringify({ key: older.key, position: older.position, state: older.state }))
          }
          for await (const key of store.keys()) if (!KEYS.includes(key)) out.push(`unknown key ${key}`)
          await store.save('alpha', { position: 7, state: { after: true } })
          return out
        },
        close: (store) => store.close(),
        written,
        codes: [],
      },
      { numRuns: 150 },
    )
  })
})
