import { sweepAfterCrashSuite } from '@quire/test-kit'
import { SnapshotStore } from '../src/index.js'

// Issue 13, fault 4: temp files of interrupted saves are swept at open; after recovery from a crash
// at any point the directory holds only the store's own files.
sweepAfterCrashSuite({
  name: 'SnapshotStore',
  what: 'saves, pruning and a delete',
  dir: '/snaps',
  pessimistic: [false, true],
  own: [
    /^k-([0-9a-f]{2})+\/$/,
    /^k-([0-9a-f]{2})+\/[0-9a-f]{16}-[0-9a-f]{16}\.snap$/,
    /^k-([0-9a-f]{2})+\/[0-9a-f]{16}-[0-9a-f]{16}\.snap\.0\.[0-9a-f]{16}\.quarantine$/,
  ],
  workload: async (fs) => {
    const store = await SnapshotStore.open('/snaps', { fs, keep: 1 })
    for (let i = 1; i <= 4; i++) await store.save('a', { position: i, state: { i } })
    await store.save('b', { position: 1, state: 'b' })
    await store.delete('b')
    await store.close()
  },
  recover: async (fs) => {
    await (await SnapshotStore.open('/snaps', { fs })).close()
  },
})
