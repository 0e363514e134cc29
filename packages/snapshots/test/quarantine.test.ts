import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { SnapshotStore } from '../src/index.js'

// Issue 13, fault 5: bytes are never destroyed unseen. A damaged snapshot that pruning removes is
// moved to a quarantine file in its key directory (durably), not deleted.
describe('pruning a damaged snapshot keeps its bytes', () => {
  it('moves it to a quarantine file with exactly its bytes, which survives a power loss', async () => {
    const fs = new SimFileSystem()
    const files: string[] = []
    const first = await SnapshotStore.open('/store', { fs, keep: 1 })
    await first.save('k', { position: 1, state: { p: 1 } })
    await first.save('k', { position: 2, state: { p: 2 } })
    await first.close()
    // Damaged at rest, inside the window pruning keeps (the newest two with keep: 1).
    const damagedPath = '/store/k-6b/0000000000000002-0000000000000001.snap'
    fs.corruptByte(damagedPath, 20)
    const damaged = await fs.readFile(damagedPath)
    const store = await SnapshotStore.open('/store', { fs, keep: 1, onCorrupt: (r) => files.push(r.file) })
    await store.save('k', { position: 3, state: { p: 3 } })
    await store.close()
    expect(files).toEqual([damagedPath])
    const names = await fs.readdir('/store/k-6b')
    expect(names.filter((n) => n.endsWith('.snap'))).toEqual([
      '0000000000000001-0000000000000000.snap',
      '0000000000000003-0000000000000002.snap',
    ])
    const quarantined = names.filter((n) => n.endsWith('.quarantine'))
    expect(quarantined).toHaveLength(1)
    expect(quarantined[0]).toMatch(/^0000000000000002-0000000000000001\.snap\.0\.[0-9a-f]{16}\.quarantine$/)
    for (const image of [fs, fs.crash(1), fs.crash(2)]) {
      expect(Buffer.from(await image.readFile(`/store/k-6b/${quarantined[0]!}`)).equals(Buffer.from(damaged))).toBe(true)
    }
    // The store opens and loads as before; the quarantine file is left alone.
    const reopened = await SnapshotStore.open('/store', { fs })
    expect((await reopened.load('k'))?.position).toBe(3)
    await reopened.close()
    expect((await fs.readdir('/store/k-6b')).filter((n) => n.endsWith('.quarantine'))).toEqual(quarantined)
  })
})
