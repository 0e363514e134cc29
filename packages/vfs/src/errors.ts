/** Base class of the errors `@quire/vfs` throws on purpose; `code` is stable across versions. */
export class VfsError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

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
  readonly path: string
  readonly expected: 'directory' | 'file'
  readonly found: string
  constructor(path: string, expected: 'directory' | 'file', found: string, role: string) {
    super(expected === 'directory' ? 'ENOTDIR' : 'EISDIR', `expected ${role} (a ${expected}) at ${path}, found a ${found}; nothing was changed`)
    this.path = path
    this.expected = expected
    this.found = found
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
