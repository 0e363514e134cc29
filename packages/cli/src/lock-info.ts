import { readFile, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { DetectedStore } from './detect.js'

/**
 * A writer lock found in a store (the `LOCK` file of `@quire/vfs`'s `acquireLock`: JSON with
 * `pid`, `host`, `token`, and on Linux `bootId`, `createdAtMs`), read without touching it.
 */
export interface LockInfo {
  /** Path of the lock file. */
  readonly file: string
  readonly pid: number | undefined
  readonly host: string | undefined
  /** Milliseconds since the file was last written. */
  readonly ageMs: number
  /**
   * `alive`: the holder runs on this host; `stale`: it is on this host and gone (or the machine
   * rebooted since): the next writable open takes the lock over; `other-host`: cannot be judged
   * from here; `unreadable`: a torn or foreign lock file.
   */
  readonly holder: 'alive' | 'stale' | 'other-host' | 'unreadable'
}

/** The lock files each kind of store may hold, relative to its path. */
function lockCandidates(store: DetectedStore): string[] {
  const p = store.path
  const ndjsonLock = (file: string): string => join(dirname(file), `${basename(file).replace(/\.ndjson$/, '')}.ndjson.lock`, 'LOCK')
  switch (store.kind) {
    case 'wal':
    case 'snapshots':
      return [join(p, 'LOCK')]
    case 'ndjson-log':
      return [ndjsonLock(p)]
    case 'record-keeper':
      return [join(p, 'rk', 'LOCK'), join(p, 'depot', 'LOCK')]
    case 'mvcc':
      return [join(p, 'LOCK'), join(p, 'wal', 'LOCK'), join(p, 'snapshots', 'LOCK')]
    case 'event-store-wal':
      return [join(p, 'LOCK'), join(p, 'log', 'LOCK'), join(p, 'state', 'LOCK')]
    case 'event-store-ndjson':
      return [ndjsonLock(p), join(`${p}.state`, 'LOCK')]
    case 'event-store-record-keeper':
      return [join(p, 'LOCK'), join(p, 'log', 'rk', 'LOCK'), join(p, 'state', 'LOCK')]
    case 'event-store-postgres':
      return []
  }
}

let bootId: Promise<string | undefined> | undefined
const currentBootId = (): Promise<string | undefined> =>
  (bootId ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (s) => s.trim(),
    () => undefined,
  ))

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM'
  }
}

async function readLock(file: string): Promise<LockInfo | undefined> {
  let text: string
  let ageMs: number
  try {
    text = await readFile(file, 'utf8')
    ageMs = Math.max(0, Date.now() - (await stat(file)).mtimeMs)
  } catch {
    return undefined
  }
  let record: { pid?: unknown; host?: unknown; bootId?: unknown }
  try {
    record = JSON.parse(text) as typeof record
  } catch {
    return { file, pid: undefined, host: undefined, ageMs, holder: 'unreadable' }
  }
  const pid = typeof record.pid === 'number' ? record.pid : undefined
  const host = typeof record.host === 'string' ? record.host : undefined
  if (pid === undefined || host === undefined) return { file, pid, host, ageMs, holder: 'unreadable' }
  if (host !== hostname()) return { file, pid, host, ageMs, holder: 'other-host' }
  const boot = await currentBootId()
  // Liveness is judged as @quire/vfs judges it, less the process start time it also compares: a
  // pid reused by an unrelated process shows here as `alive` (the writable open knows better).
  const stale = (typeof record.bootId === 'string' && boot !== undefined && record.bootId !== boot) || !pidRuns(pid)
  return { file, pid, host, ageMs, holder: stale ? 'stale' : 'alive' }
}

/** The writer locks present in `store` (none when no writer holds it and none crashed). */
export async function locksOf(store: DetectedStore): Promise<LockInfo[]> {
  const out: LockInfo[] = []
  for (const file of lockCandidates(store)) {
    const lock = await readLock(file)
    if (lock !== undefined) out.push(lock)
  }
  return out
}
