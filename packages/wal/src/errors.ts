import { ClosedError, CorruptError, OverloadedError, PoisonedError, UnsupportedVersionError, WriteFailedError, errnoOf } from '@quire/errors'

export { InvalidArgumentError, QuireError as WalError } from '@quire/errors'

/**
 * The log holds bytes that are not a valid record where valid records must be (corruption
 * in the middle of the log, not a torn tail). Thrown by `Wal.open` under `recovery: 'strict'`
 * (the default), and by `replay` if corruption appears while the log is open. Code `CORRUPT`
 * (the shared `CorruptError` of `@quire/errors`; it was `WAL_CORRUPT`).
 */
export class WalCorruptError extends CorruptError {
  /** Segment file name (not a path), e.g. `00000000000000000001.wal`, or the floor file's name. */
  readonly segment: string
  /** Byte offset in that file where the bad data starts. */
  readonly offset: number

  constructor(segment: string, offset: number, reason: string) {
    super(`write-ahead log is corrupt in ${segment} at byte ${offset}: ${reason}`)
    this.segment = segment
    this.offset = offset
  }
}

/**
 * A segment or the floor file carries a format version newer than this release reads (a newer
 * release wrote it). `Wal.open` refuses, in every recovery mode, before it changes anything: an
 * older release never deletes, cuts or rewrites a file it cannot read. Code `UNSUPPORTED_VERSION`.
 */
export class WalUnsupportedVersionError extends UnsupportedVersionError {
  /** The file's name in the log's directory. */
  readonly file: string
  /** The format version it carries. */
  readonly version: number

  constructor(file: string, version: number) {
    super(`${file} has write-ahead log format version ${version}; this release reads version 1 and will not touch it (open it with a newer release)`)
    this.file = file
    this.version = version
  }
}

/** The log was closed (or is closing): no more operations are accepted. Code `CLOSED`. */
export class WalClosedError extends ClosedError {
  constructor() {
    super('write-ahead log is closed')
  }
}

/**
 * A write-back failure (a failed `fdatasync`, or a failed write that could not be rolled back)
 * left the log in a state this process can no longer vouch for. The operation that hit it and
 * every later write reject with this error until the log is closed and reopened (reopening
 * recovers). An operation rejected with this error may or may not be in the log after reopen.
 * Code `POISONED` (it was `WAL_POISONED`); `cause` is the first failure.
 */
export class WalPoisonedError extends PoisonedError {
  constructor(cause: unknown) {
    super('write-ahead log is poisoned by an earlier I/O failure; close and reopen it', { cause })
  }
}

/**
 * A write failed (for instance `ENOSPC`) and was rolled back cleanly: the operations it carried
 * are not in the log, and the log stays valid and accepts further appends. `cause` is the file
 * system error; `errno` its code (`ENOSPC`, `EIO`, ...). Code `WRITE_FAILED` (it was
 * `WAL_WRITE_FAILED`).
 */
export class WalWriteError extends WriteFailedError {
  constructor(cause: unknown) {
    const errno = errnoOf(cause)
    super(`write to the log failed${errno === undefined ? '' : ` (${errno})`}; nothing was appended`, { cause })
  }
}

/**
 * Too much is already waiting for the disk: the operation was refused at once, before anything
 * was encoded or written, so that memory stays bounded when producers outrun the disk. Retry it
 * once some of the operations in flight have resolved (back off). `limit` names the bound that
 * was reached (an option of `Wal.open`), `max` its value; `queuedOperations` and `queuedBytes`
 * what was waiting when the operation came. Code `OVERLOADED`.
 */
export class WalOverloadedError extends OverloadedError {
  constructor(limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      `write-ahead log overloaded: ${queuedOperations} operations (${queuedBytes} bytes) wait for the disk and ${limit} is ${max}; nothing was written, retry once some have resolved`,
      { limit, max, queuedOperations, queuedBytes },
    )
  }
}
