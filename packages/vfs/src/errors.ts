/** Base class of the errors `@quire/vfs` throws on purpose; `code` is stable across versions. */
export class VfsError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Another writer (in this process or another) holds the directory's lock. */
export class LockedError extends VfsError {
  readonly dir: string
  readonly holderPid: number | undefined
  constructor(dir: string, holderPid: number | undefined) {
    super('LOCKED', `${dir} is locked by ${holderPid === undefined ? 'another opener' : `process ${holderPid}`}`)
    this.dir = dir
    this.holderPid = holderPid
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
