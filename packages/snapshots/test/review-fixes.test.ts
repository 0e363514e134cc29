import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { SnapshotStore } from '../src/index.js'

// Regression for a bug found in review: it failed before its fix.
describe('review regressions', () => {
  it('a snapshot load found damaged is not kept by pruning in place of a valid one', async () => {
    const fs = new SimFileSystem()
    const store = await SnapshotStore.open('/store', { fs, keep: 1 })
    await store.save('k', { position: 1, state: { p: 1 } })
    await store.save('k', { position: 2, state: { p: 2 } })
    fs.corruptByte('/store/k-6b/0000000000000002-0000000000000001.snap', 20)
    expect((await store.load('k'))?.position).toBe(1)
    await store.save('k', { position: 3, state: { p: 3 } })
    await store.close()
    fs.corruptByte('/store/k-6b/0000000000000003-0000000000000002.snap', 20)
    const reopened = await SnapshotStore.open('/store', { fs, keep: 1 })
    expect((await reopened.load('k'))?.position).toBe(1)
    await reopened.close()
  })
})
