import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { NdjsonLog } from '@quire/ndjson-log'

// Issue 13, fault 3: an open that fails leaves the directory as it found it, and says what it
// expected and what it found.
describe('a failed NdjsonLog.open leaves no debris', () => {
  it('at a path that is a directory: EISDIR naming both, and no <path>.lock/ left behind (real disk)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'quire-ndjson-debris-'))
    try {
      await mkdir(join(root, 'ev.ndjson'))
      const err = (await NdjsonLog.open(join(root, 'ev.ndjson')).catch((e: unknown) => e)) as Error & { code: string }
      expect(err.code).toBe('EISDIR')
      expect(err.message).toMatch(/expected .*file.* at .*ev\.ndjson, found a directory/)
      expect(await readdir(root)).toEqual(['ev.ndjson'])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('a new log whose file cannot be created: the directories open made are gone again', async () => {
    const fs = new SimFileSystem()
    const before = fs.dump()
    fs.injectFault({ op: 'open', path: /\.tmp$/, error: 'EIO' })
    await expect(NdjsonLog.open('/a/b/ev.ndjson', { fs })).rejects.toMatchObject({ code: 'EIO' })
    expect(fs.dump()).toBe(before)
  })
})

describe('a failed open of a new log in an existing directory', () => {
  it('removes the active file and lock directory it created', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir('/db')
    const before = fs.dump()
    fs.injectFault({ op: 'syncDir', path: '/db', nth: 3, error: 'EIO' })
    await expect(NdjsonLog.open('/db/ev.ndjson', { fs })).rejects.toMatchObject({ code: 'EIO' })
    expect(fs.dump()).toBe(before)
  })
})
