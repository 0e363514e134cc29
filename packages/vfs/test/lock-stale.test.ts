import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireLock, LockedError, NodeFileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { exited } from './child.js'

// Issue 13, fault 2: a lock whose pid now belongs to another live process is stale; a lock of
// another host is never taken over silently, and LOCKED says who, where, since when, and what to do.

const dirs: string[] = []
const children: ChildProcess[] = []
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGKILL')
    await exited(c)
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quire-stale-'))
  dirs.push(d)
  return d
}

/** A live process that is not a lock holder: its pid stands for a reused pid. */
async function liveStranger(): Promise<{ pid: number; startTicks: string }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' })
  children.push(child)
  await new Promise((resolve) => child.once('spawn', resolve))
  const stat = await readFile(`/proc/${child.pid}/stat`, 'latin1')
  return { pid: child.pid!, startTicks: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]! }
}

const bootId = async (): Promise<string> => (await readFile('/proc/sys/kernel/random/boot_id', 'latin1')).trim()
const lockRecord = (fields: Record<string, unknown>): string => JSON.stringify({ host: hostname(), token: 'old', ...fields })

describe('stale locks: pid reuse', () => {
  it('a lock naming a live pid with another start time (the pid was reused) is taken over', async () => {
    const dir = await tempDir()
    const stranger = await liveStranger()
    const reusedTicks = String(BigInt(stranger.startTicks) + 1n)
    await writeFile(join(dir, 'LOCK'), lockRecord({ pid: stranger.pid, startTicks: reusedTicks, bootId: await bootId() }))
    const lock = await acquireLock(new NodeFileSystem(), dir)
    expect(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8'))).toMatchObject({ pid: process.pid })
    await lock.release()
  })

  it('a lock written before the machine rebooted (another boot id) is taken over, even if its pid runs now', async () => {
    const dir = await tempDir()
    const stranger = await liveStranger()
    await writeFile(join(dir, 'LOCK'), lockRecord({ pid: stranger.pid, startTicks: stranger.startTicks, bootId: 'another-boot' }))
    const lock = await acquireLock(new NodeFileSystem(), dir)
    await lock.release()
  })

  it('a lock naming that live process (same start time) is LOCKED, with a message that names it all', async () => {
    const dir = await tempDir()
    const holder = await liveStranger()
    await writeFile(join(dir, 'LOCK'), lockRecord({ pid: holder.pid, startTicks: holder.startTicks, bootId: await bootId() }))
    const err = await acquireLock(new NodeFileSystem(), dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LockedError)
    const locked = err as LockedError
    expect(locked).toMatchObject({ code: 'LOCKED', holderPid: holder.pid, holderHost: hostname(), lockFile: join(dir, 'LOCK') })
    expect(locked.message).toContain(join(dir, 'LOCK'))
    expect(locked.message).toContain(`process ${holder.pid} on host ${hostname()}`)
    expect(locked.message).toMatch(/taken \d+ s ago/)
    expect(locked.message).toMatch(/remove .*LOCK/)
  })

  it('a lock of an older release (no start time) with a live pid is still LOCKED', async () => {
    const dir = await tempDir()
    const holder = await liveStranger()
    await writeFile(join(dir, 'LOCK'), lockRecord({ pid: holder.pid }))
    await expect(acquireLock(new NodeFileSystem(), dir)).rejects.toMatchObject({ code: 'LOCKED', holderPid: holder.pid })
  })
})

describe('stale locks: another host', () => {
  it('is never taken over: LOCKED naming the lock file, host, pid and age, and how to clear it', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: 4194305, host: 'far-away-host', token: 'x', startTicks: '1', bootId: 'b' }))
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000)
    await utimes(join(dir, 'LOCK'), twoHoursAgo, twoHoursAgo)
    const err = (await acquireLock(new NodeFileSystem(), dir).catch((e: unknown) => e)) as LockedError
    expect(err).toMatchObject({ code: 'LOCKED', holderPid: 4194305, holderHost: 'far-away-host', lockFile: join(dir, 'LOCK') })
    expect(err.ageMs).toBeGreaterThanOrEqual(2 * 3600_000 - 60_000)
    expect(err.message).toContain('process 4194305 on host far-away-host')
    expect(err.message).toContain(join(dir, 'LOCK'))
    expect(err.message).toMatch(/taken 2 h ago/)
    expect(err.message).toMatch(/If no process on far-away-host uses this store any more .*remove .*LOCK/)
    // Nothing was changed: the lock file is the one found.
    expect(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8'))).toMatchObject({ host: 'far-away-host' })
  })
})

describe('takeover leftovers', () => {
  it('a stale lock a crash left moved aside (LOCK.stale-*) is removed by the next holder', async () => {
    const sim = new SimFileSystem()
    await sim.mkdir('/db')
    await sim.writeFile('/db/LOCK.stale-0123456789abcdef', new TextEncoder().encode(lockRecord({ pid: 4194305 })))
    const lock = await acquireLock(sim, '/db')
    expect(await sim.readdir('/db')).toEqual(['LOCK'])
    await lock.release()
  })
})
