import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireLock, LockedError, NodeFileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { exited, startFixture } from './child.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('acquireLock across processes', () => {
  it('another process gets LOCKED at once; after it is SIGKILLed its lock is taken over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-lock-'))
    dirs.push(dir)
    const { child, lines } = startFixture('lock-holder.ts', [dir])
    try {
      expect((await lines.next()).value).toBe('locked')
      const fs = new NodeFileSystem()
      const err = await acquireLock(fs, dir).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(LockedError)
      expect((err as LockedError).code).toBe('LOCKED')
      expect((err as LockedError).holderPid).toBe(child.pid)
      child.kill('SIGKILL')
      await exited(child)
      const lock = await acquireLock(fs, dir)
      await lock.release()
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('acquireLock on the simulated disk', () => {
  it('a lock left in a crash image does not block the next open', async () => {
    const sim = new SimFileSystem()
    await sim.mkdir('/db')
    await sim.syncDir('/')
    await acquireLock(sim, '/db')
    await sim.syncDir('/db')
    await expect(acquireLock(sim, '/db')).rejects.toMatchObject({ code: 'LOCKED' })
    for (const image of sim.crashImages()) {
      const lock = await acquireLock(image, '/db')
      await lock.release()
    }
  })
})

describe('acquireLock within one process', () => {
  it('two NodeFileSystem instances are one disk: the second opener gets LOCKED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-lock-'))
    dirs.push(dir)
    const lock = await acquireLock(new NodeFileSystem(), dir)
    await expect(acquireLock(new NodeFileSystem(), dir)).rejects.toMatchObject({ code: 'LOCKED' })
    await lock.release()
    const again = await acquireLock(new NodeFileSystem(), dir)
    await again.release()
  })
})
