import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Depot, RecordKeeper } from '../src/index.js'

// Issue 13, fault 3: an open that fails leaves the directory as it found it, and says what it
// expected and what it found.
describe.each([
  { name: 'RecordKeeper', sub: 'rk', open: (dir: string, fs: SimFileSystem) => RecordKeeper.open(dir, { fs }) },
  { name: 'Depot', sub: 'depot', open: (dir: string, fs: SimFileSystem) => Depot.open(dir, { fs }) },
])('a failed $name.open leaves no debris', ({ sub, open }) => {
  it('a file where its directory should be: ENOTDIR naming both, nothing changed', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir('/s')
    await fs.writeFile(`/s/${sub}`, new TextEncoder().encode('x'))
    const before = fs.dump()
    const err = (await open('/s', fs).catch((e: unknown) => e)) as Error & { code: string }
    expect(err.code).toBe('ENOTDIR')
    expect(err.message).toMatch(new RegExp(`expected .*directory.* at /s/${sub}, found a file`))
    expect(fs.dump()).toBe(before)
  })

  it('a new store whose FORMAT file cannot be written: the directories open made are gone again', async () => {
    const fs = new SimFileSystem()
    const before = fs.dump()
    fs.injectFault({ op: 'open', path: /FORMAT\..*\.tmp$/, error: 'EIO' })
    await expect(open('/s', fs)).rejects.toMatchObject({ code: 'EIO' })
    expect(fs.dump()).toBe(before)
  })
})
