import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'

// Issue 13, fault 3: an open that fails leaves the directory as it found it, and says what it
// expected and what it found.
describe('a failed Wal.open leaves no debris', () => {
  it('a file where the log directory should be: ENOTDIR naming both, nothing changed', async () => {
    const fs = new SimFileSystem()
    await fs.writeFile('/wal', new TextEncoder().encode('not a log'))
    const before = fs.dump()
    const err = (await Wal.open('/wal', { fs }).catch((e: unknown) => e)) as Error & { code: string }
    expect(err.code).toBe('ENOTDIR')
    expect(err.message).toMatch(/expected .*directory.* at \/wal, found a file/)
    expect(fs.dump()).toBe(before)
  })

  it('a new log whose first segment cannot be created: the directories open made are gone again', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir('/data')
    const before = fs.dump()
    fs.injectFault({ op: 'open', path: /\.wal$/, error: 'EIO' })
    await expect(Wal.open('/data/deep/wal', { fs })).rejects.toMatchObject({ code: 'EIO' })
    expect(fs.dump()).toBe(before)
    // ...and nothing stops the next open.
    const wal = await Wal.open('/data/deep/wal', { fs })
    await wal.close()
  })
})
