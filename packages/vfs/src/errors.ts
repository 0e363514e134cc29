import { ExistsError, NotFoundError, QuireError, ReadOnlyError as SharedReadOnlyError } from '@quire/errors'
import { isFsError } from './file-system.js'

export { InvalidArgumentError } from '@quire/errors'

/**
 * Base class of the errors only `@quire/vfs` has (`LOCKED`, `INVALID_PATH`, `ENOTDIR`/`EISDIR`);
 * a `QuireError` whose `code` is stable across versions. Its errors for shared conditions
 * extend the shared classes of `@quire/errors` instead (`StoreNotFoundError` is a
 * `NotFoundError`, …); every code is listed in `@quire/errors`' ERRORS.md.
 */
export class VfsError extends QuireError {}

/** What a {@link LockedError} knows about the lock it met. */
export interface LockedDetails {
  /** The lock file (absolute path). */
  readonly lockFile?: string
  /** Host name the holder wrote into the lock file. */
  readonly holderHost?: string
  /** Age of the lock file (milliseconds since it was last written). */
  readonly ageMs?: number
  /** Why it is not taken over, and what to do if it is stale. */
  readonly detail?: string
}

/**
 * Another writer (in this process or another) holds the directory's lock. The message names the
 * lock file, the holder's host, pid and age, and what to do if the lock is stale.
 */
export class LockedError extends VfsError {
  readonly dir: string
  readonly holderPid: number | undefined
  readonly lockFile: string | undefined
  readonly holderHost: string | undefined
  readonly ageMs: number | undefined
  constructor(dir: string, holderPid: number | undefined, details: LockedDetails = {}) {
    const holder = holderPid === undefined ? 'another opener' : `process ${holderPid}${details.holderHost === undefined ? '' : ` on host ${details.holderHost}`}`
    const parts = [`${dir} is locked by ${holder}`]
    if (details.lockFile !== undefined) parts.push(`lock file ${details.lockFile}`)
    if (details.ageMs !== undefined) parts.push(`taken ${formatAge(details.ageMs)} ago`)
    super('LOCKED', parts.join(', ') + (details.detail === undefined ? '' : `: ${details.detail}`))
    this.dir = dir
    this.holderPid = holderPid
    this.lockFile = details.lockFile
    this.holderHost = details.holderHost
    this.ageMs = details.ageMs
  }
}

function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${Math.round(s / 3600)} h`
  return `${Math.round(s / 86_400)} days`
}

/**
 * A store's path holds the wrong kind of thing (a file where its directory should be, a directory
 * where its log file should be). `code` is Node's for the case, `ENOTDIR` (a directory was
 * expected) or `EISDIR` (a file was expected), so `isFsError` tests keep working; the message
 * says what was expected and what was found.
 */
export class PathKindError extends VfsError {
  /** The store's path, as the caller gave it (resolved to an absolute path). */
  readonly path: string
  /** What the store needs at `path`. */
  readonly expected: 'directory' | 'file'
  /** What is there: `'file'`, `'directory'`, `'special file'`; or what blocks the path. */
  readonly found: string
  /**
   * When a parent of `path` is a file (so nothing can ever be at `path`): that parent. `found` is
   * then `'file'` and describes it.
   */
  readonly blockedBy: string | undefined
  constructor(path: string, expected: 'directory' | 'file', found: string, role: string, blockedBy?: string) {
    const what =
      blockedBy === undefined
        ? `found a ${found}`
        : `but ${blockedBy} is a ${found}, not a directory`
    super(blockedBy !== undefined || expected === 'directory' ? 'ENOTDIR' : 'EISDIR', `expected ${role} (a ${expected}) at ${path}, ${what}; nothing was changed`)
    this.path = path
    this.expected = expected
    this.found = found
    this.blockedBy = blockedBy
  }
}

/**
 * A store was opened with `createIfMissing: false` (or `readOnly: true`, or a `verify`) and there
 * is no store at its path: nothing there, or an empty directory. Nothing was created.
 */
export class StoreNotFoundError extends NotFoundError {
  /** The store's path (absolute). */
  readonly path: string
  constructor(path: string, role: string, why: string) {
    super(`no store at ${path} (${role}): ${why}; nothing was created`)
    this.path = path
  }
}

/** A store was opened with `errorIfExists: true` and one is already at its path. Nothing was changed. */
export class StoreExistsError extends ExistsError {
  /** The store's path (absolute). */
  readonly path: string
  constructor(path: string, role: string) {
    super(`${role} at ${path} already exists (errorIfExists: true); nothing was changed`)
    this.path = path
  }
}

/**
 * A write on a store opened with `readOnly: true`, a write a `ReadOnlyFileSystem` refused,
 * or a store the OS does not let this process write (`EACCES`, `EPERM`, `EROFS` while creating
 * its directory or taking its writer lock; `cause` holds the OS error): open it with
 * `readOnly: true` to read it. Nothing was written.
 */
export class ReadOnlyError extends SharedReadOnlyError {
  /** What was refused: `"append"`, `"open(/data/x, 'r+')"`. */
  readonly operation: string
  constructor(operation: string, detail = 'the store was opened with readOnly: true', options?: { cause?: unknown }) {
    super(`${operation} refused: ${detail}; nothing was written`, options)
    this.operation = operation
  }
}

/** A path segment that could make a path escape its root. */
export class UnsafePathError extends VfsError {
  readonly segment: string
  constructor(segment: string, reason: string) {
    super('INVALID_PATH', `unsafe path segment ${JSON.stringify(segment)}: ${reason}`)
    this.segment = segment
  }
}

/**
 * An OS refusal to write (a read-only copy, a store owned by another user, a read-only mount) as
 * a {@link ReadOnlyError} naming what was refused; any other error as it is.
 */
export function notWritable(err: unknown, operation: string): unknown {
  for (const code of ['EACCES', 'EPERM', 'EROFS']) {
    if (isFsError(err, code)) return new ReadOnlyError(operation, `the OS refuses to write there (${code}); open the store with readOnly: true to read it`, { cause: err })
  }
  return err
}
