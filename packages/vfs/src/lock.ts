import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { LockedError } from './errors.js'
import { isFsError, type FileSystem } from './file-system.js'
import { NodeFileSystem } from './node-file-system.js'

/** The name of the lock file `acquireLock` creates in a store directory. */
export const LOCK_FILE_NAME = 'LOCK'

/** An empty or unreadable lock file younger than this may be another opener mid-write. */
const FRESH_LOCK_MS = 2_000

/** A held directory lock. */
export interface DirLock {
  readonly path: string
  /** Removes the lock file; idempotent. */
  release(): Promise<void>
}

interface LockRecord {
  readonly pid: number
  readonly host: string
  readonly token: string
}

// Locks this process holds, per disk. Every `NodeFileSystem` is the same real disk: a store opened
// twice in one process must see its own lock, whichever instance took it. Any other file system
// (a simulated disk, each crash image of which is a new instance) is its own disk: a lock file
// with this process's pid that this instance does not hold was left by a crash, and is stale.
const REAL_DISK = {}
const heldLocks = new WeakMap<object, Set<string>>()

function heldBy(fs: FileSystem): Set<string> {
  const disk = fs instanceof NodeFileSystem ? REAL_DISK : fs
  let set = heldLocks.get(disk)
  if (set === undefined) heldLocks.set(disk, (set = new Set()))
  return set
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return isFsError(err, 'EPERM')
  }
}

function parseRecord(bytes: Uint8Array): LockRecord | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LockRecord>
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') {
      return { pid: value.pid, host: value.host, token: value.token }
    }
  } catch {
    // fall through: a torn or foreign lock file
  }
  return undefined
}

async function tryCreate(fs: FileSystem, path: string, record: LockRecord): Promise<boolean> {
  let handle
  try {
    handle = await fs.open(path, 'wx')
  } catch (err) {
    if (isFsError(err, 'EEXIST')) return false
    throw err
  }
  try {
    await handle.write(Buffer.from(JSON.stringify(record)), 0)
  } finally {
    await handle.close()
  }
  return true
}

/**
 * Takes the single-writer lock of `dir` (a `LOCK` file in it). A second opener, in this process or
 * another, fails at once with {@link LockedError} (code `LOCKED`). A lock whose process is dead —
 * or, on a simulated disk, one left in a crash image — is stale and taken over.
 *
 * Limits: liveness is judged by pid on this host; a lock file from another host is never taken over.
 */
export async function acquireLock(fs: FileSystem, dir: string): Promise<DirLock> {
  const path = join(dir, LOCK_FILE_NAME)
  const held = heldBy(fs)
  if (held.has(path)) throw new LockedError(dir, process.pid)
  held.add(path)
  const record: LockRecord = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await tryCreate(fs, path, record)) return makeLock(fs, path, record, held)
      await takeOverIfStale(fs, dir, path, record.token)
    }
    throw new LockedError(dir, undefined)
  } catch (err) {
    held.delete(path)
    throw err
  }
}

async function takeOverIfStale(fs: FileSystem, dir: string, path: string, token: string): Promise<void> {
  let bytes: Uint8Array
  let ageMs: number
  try {
    bytes = await fs.readFile(path)
    ageMs = Date.now() - (await fs.stat(path)).mtimeMs
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return // released meanwhile: try again
    throw err
  }
  const holder = parseRecord(bytes)
  if (holder === undefined) {
    if (ageMs < FRESH_LOCK_MS) throw new LockedError(dir, undefined)
  } else if (holder.host !== hostname()) {
    throw new LockedError(dir, holder.pid)
  } else if (holder.pid !== process.pid && isProcessAlive(holder.pid)) {
    throw new LockedError(dir, holder.pid)
  }
  // Stale. Move it aside first, so that of two processes taking over only one wins the rename,
  // then check that what was moved is the lock judged stale and not a fresh one.
  const aside = `${path}.stale-${token}`
  try {
    await fs.rename(path, aside)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return
    throw err
  }
  const moved = await fs.readFile(aside)
  if (Buffer.compare(Buffer.from(moved), Buffer.from(bytes)) !== 0) {
    await fs.rename(aside, path)
    throw new LockedError(dir, parseRecord(moved)?.pid)
  }
  await fs.unlink(aside)
}

function makeLock(fs: FileSystem, path: string, record: LockRecord, held: Set<string>): DirLock {
  let released = false
  return {
    path,
    async release() {
      if (released) return
      released = true
      try {
        const current = parseRecord(await fs.readFile(path))
        if (current?.token === record.token) await fs.unlink(path)
      } catch (err) {
        if (!isFsError(err, 'ENOENT')) throw err
      } finally {
        held.delete(path)
      }
    },
  }
}
