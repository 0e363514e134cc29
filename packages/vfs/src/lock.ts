import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { basename, join } from 'node:path'
import { LockedError, notWritable } from './errors.js'
import { isFsError, type FileSystem } from './file-system.js'
import { NodeFileSystem } from './node-file-system.js'
import { describeProcess, processStartTicks, thisProcess, type ProcessIdentity } from './process-identity.js'

/** The name of the lock file `acquireLock` creates in a store directory. */
export const LOCK_FILE_NAME = 'LOCK'

/** Prefix of the name a stale lock file is moved to while it is taken over (see `takeOverIfStale`). */
const ASIDE_PREFIX = `${LOCK_FILE_NAME}.stale-`

/** An empty or unreadable lock file younger than this may be another opener mid-write. */
const FRESH_LOCK_MS = 2_000

/** A held directory lock. */
export interface DirLock {
  readonly path: string
  /** Removes the lock file; idempotent. */
  release(): Promise<void>
}

/**
 * The lock a read-only open holds: none (`path` is empty, `release` does nothing). A read-only
 * open takes no lock so that it can run next to a live writer (see each store's `readOnly`).
 */
export const NO_LOCK: DirLock = Object.freeze({ path: '', release: async (): Promise<void> => undefined })

/** Options of {@link acquireLock}. */
export interface AcquireLockOptions {
  /**
   * A file the lock guards besides its directory (the NDJSON log's file, whose lock directory
   * sits next to it). Its identity is held in this process too, so another name of it (a hard
   * link elsewhere) cannot be locked here while this lock is held; and a subject that already has
   * more than one name is refused with `LOCKED`, since a writer in another process reaching it
   * through the other name would take another lock. A subject that does not exist yet is fine.
   */
  readonly subject?: string
}

/**
 * The lock file's content (JSON). `startTicks` and `bootId` (Linux) tell a live holder from a
 * new process that got the same pid; older lock files lack them and are judged by pid alone.
 */
interface LockRecord extends ProcessIdentity {
  readonly token: string
  /** When the lock was taken (milliseconds since the Unix epoch, the holder's clock). */
  readonly createdAtMs?: number
}

// Identities (directory and subject) this process holds, per disk. Every `NodeFileSystem` is the
// same real disk: a store opened twice in one process must see its own lock, whichever instance
// took it and through whichever name. Any other file system (a simulated disk, each crash image
// of which is a new instance) is its own disk: a lock file with this process's pid that this
// instance does not hold was left by a crash, and is stale.
const REAL_DISK = {}
const heldLocks = new WeakMap<object, Map<string, string>>()

function heldBy(fs: FileSystem): Map<string, string> {
  const disk = fs instanceof NodeFileSystem ? REAL_DISK : fs
  let map = heldLocks.get(disk)
  if (map === undefined) heldLocks.set(disk, (map = new Map<string, string>()))
  return map
}

function parseRecord(bytes: Uint8Array): LockRecord | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LockRecord>
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') {
      return {
        pid: value.pid,
        host: value.host,
        token: value.token,
        ...(typeof value.startTicks === 'string' ? { startTicks: value.startTicks } : {}),
        ...(typeof value.bootId === 'string' ? { bootId: value.bootId } : {}),
        ...(typeof value.createdAtMs === 'number' ? { createdAtMs: value.createdAtMs } : {}),
      }
    }
  } catch {
    // fall through: a torn or foreign lock file
  }
  return undefined
}

/** How a lock file's holder stands, judged from this process. */
type Verdict = { readonly stale: true } | { readonly stale: false; readonly why: 'alive' | 'other-host' | 'this-process' }

/**
 * Stale when the holder is on this host and is dead, or its pid now belongs to another process
 * (another start time, or the machine rebooted since). A lock of another host is never judged:
 * this process cannot see that host's processes.
 */
async function judge(holder: LockRecord): Promise<Verdict> {
  const me = await thisProcess()
  if (holder.host !== me.host) return { stale: false, why: 'other-host' }
  if (holder.bootId !== undefined && me.bootId !== undefined && holder.bootId !== me.bootId) return { stale: true }
  if (holder.pid === me.pid) {
    // Ours by pid: the same process (start time equal, or unknown) would be in the registry, so
    // this is a lock a crash left (simulated disks) or a process that had our pid before.
    return { stale: true }
  }
  const startTicks = await processStartTicks(holder.pid)
  if (startTicks === null) return { stale: true } // no such process
  if (holder.startTicks !== undefined && startTicks !== undefined && startTicks !== holder.startTicks) return { stale: true }
  return { stale: false, why: 'alive' }
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

async function identityOf(fs: FileSystem, path: string): Promise<{ identity: string; links: number } | undefined> {
  try {
    const st = await fs.stat(path)
    return { identity: st.identity, links: st.links }
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return undefined
    throw err
  }
}

/**
 * Takes the single-writer lock of `dir` (a `LOCK` file in it). A second opener, in this process or
 * another, through this name or any other (a symlink, `..` segments, a trailing slash, a bind
 * mount: the lock is keyed by the directory's identity, not its spelling), fails at once with
 * {@link LockedError} (code `LOCKED`), whose message names the lock file, the holder's host, pid
 * and age, and what to do if the lock is stale.
 *
 * A lock is stale, and taken over, when its holder is on this host and no longer runs: its pid is
 * gone, or belongs to another process now (Linux: another start time in `/proc/<pid>/stat`, or
 * another boot), or, on a simulated disk, it was left in a crash image. A lock naming another host
 * is never taken over: `LOCKED`, with the way to clear it by hand.
 *
 * Why pid plus start time and not an OS lock (`flock`): Node has no `flock` in its standard
 * library, and a native addon would need a compiler or a prebuilt binary on every machine. The
 * start time makes pid reuse (a container restarted, a long-running host) harmless on Linux;
 * elsewhere liveness falls back to the pid alone.
 *
 * @throws `LockedError` (`LOCKED`); the file system's errors (`ENOENT` when `dir` is missing).
 */
export async function acquireLock(fs: FileSystem, dir: string, options: AcquireLockOptions = {}): Promise<DirLock> {
  const path = join(dir, LOCK_FILE_NAME)
  const held = heldBy(fs)
  const dirId = await identityOf(fs, dir)
  if (dirId === undefined) throw Object.assign(new Error(`ENOENT: no such directory, lock '${dir}'`), { code: 'ENOENT' })
  const keys = [`dir ${dirId.identity}`]
  const subject = options.subject === undefined ? undefined : await identityOf(fs, options.subject)
  if (subject !== undefined) keys.push(`file ${subject.identity}`)
  for (const key of keys) {
    const other = held.get(key)
    if (other !== undefined) {
      throw new LockedError(dir, process.pid, {
        lockFile: other,
        holderHost: hostname(),
        detail: `this process holds it already (through ${other}); close that opener first`,
      })
    }
  }
  if (subject !== undefined && subject.links > 1) {
    throw new LockedError(dir, undefined, {
      lockFile: path,
      detail: `${options.subject!} has ${subject.links} names (hard links): a writer reaching it through another name would take another lock; remove the other names first`,
    })
  }
  for (const key of keys) held.set(key, path)
  const me = await thisProcess()
  const record: LockRecord = { ...me, token: randomBytes(8).toString('hex'), createdAtMs: Date.now() }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await tryCreate(fs, path, record)) {
        await sweepAsides(fs, dir, record.token)
        return makeLock(fs, path, record, held, keys)
      }
      await takeOverIfStale(fs, dir, path, record.token)
    }
    throw new LockedError(dir, undefined, { lockFile: path, detail: 'other openers keep taking it' })
  } catch (err) {
    for (const key of keys) held.delete(key)
    throw notWritable(err, `taking the writer lock ${path}`)
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
    if (ageMs < FRESH_LOCK_MS) throw new LockedError(dir, undefined, { lockFile: path, ageMs, detail: 'another opener is writing it' })
  } else {
    const verdict = await judge(holder)
    if (!verdict.stale) throw lockedBy(dir, path, holder, ageMs, verdict.why)
  }
  // Stale. Move it aside first, so that of two processes taking over only one wins the rename,
  // then check that what was moved is the lock judged stale and not a fresh one.
  const aside = `${dir}/${ASIDE_PREFIX}${token}`
  try {
    await fs.rename(path, aside)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return
    throw err
  }
  const moved = await fs.readFile(aside)
  if (Buffer.compare(Buffer.from(moved), Buffer.from(bytes)) !== 0) {
    await fs.rename(aside, path)
    const other = parseRecord(moved)
    throw other === undefined ? new LockedError(dir, undefined, { lockFile: path }) : lockedBy(dir, path, other, 0, 'alive')
  }
  await fs.unlink(aside)
}

function lockedBy(dir: string, lockFile: string, holder: LockRecord, ageMs: number, why: 'alive' | 'other-host' | 'this-process'): LockedError {
  const detail =
    why === 'other-host'
      ? `it names another host, whose processes this one cannot see. If no process on ${holder.host} uses this store any more (the volume was moved or shared), remove ${lockFile} and open again`
      : `${describeProcess(holder)} is running. If it is not using this store (it reused the pid of a writer that died), stop it or remove ${lockFile}`
  return new LockedError(dir, holder.pid, { lockFile, holderHost: holder.host, ageMs, detail })
}

/**
 * Removes lock files a crash left aside during a takeover (`LOCK.stale-<token>`), once this
 * process holds the lock: those whose holder is stale (a live one is another opener's takeover in
 * progress, moved back in a moment).
 */
async function sweepAsides(fs: FileSystem, dir: string, token: string): Promise<void> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(ASIDE_PREFIX) || name === `${ASIDE_PREFIX}${token}`) continue
    const path = join(dir, name)
    try {
      const holder = parseRecord(await fs.readFile(path))
      const ageMs = Date.now() - (await fs.stat(path)).mtimeMs
      const stale = holder === undefined ? ageMs >= FRESH_LOCK_MS : (await judge(holder)).stale
      if (stale) await fs.unlink(path)
    } catch (err) {
      if (!isFsError(err, 'ENOENT')) throw err
    }
  }
}

function makeLock(fs: FileSystem, path: string, record: LockRecord, held: Map<string, string>, keys: readonly string[]): DirLock {
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
        for (const key of keys) held.delete(key)
      }
    },
  }
}

/** True for the names `acquireLock` creates in a store directory (`LOCK`, and a takeover's `LOCK.stale-*`). */
export function isLockFile(name: string): boolean {
  return name === LOCK_FILE_NAME || basename(name).startsWith(ASIDE_PREFIX)
}

