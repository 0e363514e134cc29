import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { MvccStore } from '../src/index.js'

// Issue 13, fault 3: an open that fails leaves the directory as it found it, and says what it
// expected and what it found.
describe('a failed MvccStore.open leaves no debris', () => {
  it('a file where the WAL directory should be: ENOTDIR naming both, no snapshots/ made', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir('/db')
    await fs.writeFile('/db/wal', new TextEncoder().encode('x'))
    const before = fs.dump()
    const err = (await MvccStore.open('/db', { fs }).catch((e: unknown) => e)) as Error & { code: string }
    expect(err.code).toBe('ENOTDIR')
    expect(err.message).toMatch(/expected .*directory.* at \/db\/wal, found a file/)
    expect(fs.dump()).toBe(before)
  })

  it('a new store whose WAL cannot be created: nothing of it is left', async () => {
    const fs = new SimFileSystem()
    const before = fs.dump()
    fs.injectFault({ op: 'open', path: /\.wal$/, error: 'EIO' })
    await expect(MvccStore.open('/db', { fs })).rejects.toMatchObject({ code: 'EIO' })
    expect(fs.dump()).toBe(before)
  })
})
