import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { SnapshotStore } from '../src/index.js'

// Issue 13, fault 3: an open that fails leaves the directory as it found it, and says what it
// expected and what it found.
describe('a failed SnapshotStore.open leaves no debris', () => {
  it('a file where the store directory should be: ENOTDIR naming both, nothing changed', async () => {
    const fs = new SimFileSystem()
    await fs.writeFile('/snaps', new TextEncoder().encode('x'))
    const before = fs.dump()
    const err = (await SnapshotStore.open('/snaps', { fs }).catch((e: unknown) => e)) as Error & { code: string }
    expect(err.code).toBe('ENOTDIR')
    expect(err.message).toMatch(/expected .*directory.* at \/snaps, found a file/)
    expect(fs.dump()).toBe(before)
  })

  it('a new store whose recovery fails: the directories open made are gone again', async () => {
    const fs = new SimFileSystem()
    const before = fs.dump()
    fs.injectFault({ op: 'syncDir', path: '/x/snaps', error: 'EIO' })
    await expect(SnapshotStore.open('/x/snaps', { fs })).rejects.toMatchObject({ code: 'EIO' })
    expect(fs.dump()).toBe(before)
  })
})
