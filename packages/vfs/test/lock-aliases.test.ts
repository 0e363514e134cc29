import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireLock, NodeFileSystem } from '@quire/vfs'
import { exited, startFixture } from './child.js'

// Issue 13, fault 1: the single-writer lock must be keyed by what a directory is, not by how
// its path is spelled.

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function aliases(): Promise<{ dir: string; names: string[] }> {
  const base = await mkdtemp(join(tmpdir(), 'quire-alias-'))
  dirs.push(base)
  const dir = join(base, 'store')
  await mkdir(join(base, 'other'), { recursive: true })
  await mkdir(dir)
  await symlink(dir, join(base, 'link'))
  return {
    dir,
    names: [
      join(base, 'link'), // a symlink to the directory
      `${base}/other/../store`, // `..` segments
      `${dir}/`, // a trailing slash
      `${base}//store/.`, // doubled separators and `.`
    ],
  }
}

describe('acquireLock keys the lock by the directory, not by its spelling', () => {
  it('in one process, every other name of a locked directory gets LOCKED', async () => {
    const { dir, names } = await aliases()
    const fs = new NodeFileSystem()
    const lock = await acquireLock(fs, dir)
    for (const name of names) await expect(acquireLock(new NodeFileSystem(), name), name).rejects.toMatchObject({ code: 'LOCKED' })
    await lock.release()
    // ...and once released, any name takes it.
    const again = await acquireLock(fs, names[0]!)
    await expect(acquireLock(fs, dir)).rejects.toMatchObject({ code: 'LOCKED' })
    await again.release()
  })

  it('across processes, every other name of a locked directory gets LOCKED', async () => {
    const { dir, names } = await aliases()
    const { child, lines } = startFixture('lock-holder.ts', [names[0]!])
    try {
      expect((await lines.next()).value).toBe('locked')
      for (const name of [dir, ...names]) {
        await expect(acquireLock(new NodeFileSystem(), name), name).rejects.toMatchObject({ code: 'LOCKED', holderPid: child.pid })
      }
    } finally {
      child.kill('SIGKILL')
      await exited(child)
    }
  })

  it('a file with a second name (a hard link) cannot be locked through either name while the other is held', async () => {
    const base = await mkdtemp(join(tmpdir(), 'quire-alias-'))
    dirs.push(base)
    await mkdir(join(base, 'a'))
    await mkdir(join(base, 'b'))
    await writeFile(join(base, 'a', 'log'), 'x')
    const fs = new NodeFileSystem()
    const lock = await acquireLock(fs, join(base, 'a'), { subject: join(base, 'a', 'log') })
    await link(join(base, 'a', 'log'), join(base, 'b', 'log'))
    // In this process: the file's identity is held.
    await expect(acquireLock(fs, join(base, 'b'), { subject: join(base, 'b', 'log') })).rejects.toMatchObject({ code: 'LOCKED' })
    await lock.release()
    // In any process (the lock files of `a` and `b` are different files): a subject with two names
    // is refused, by either name, since the other name's writer would take another lock.
    for (const d of ['a', 'b']) {
      const err = await acquireLock(fs, join(base, d), { subject: join(base, d, 'log') }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'LOCKED' })
      expect(String((err as Error).message)).toMatch(/has 2 names/)
    }
  })
})
