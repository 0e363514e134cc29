import * as shared from '@quire/errors'

export { InvalidArgumentError } from '@quire/errors'

/**
 * Base class of the errors only `@quire/ndjson-log` has (`INVALID_RECORD`, `NOT_NDJSON_LOG`), a
 * `QuireError`. Its errors for shared conditions extend the shared classes of `@quire/errors`
 * (`NdjsonCorruptError` is a `CorruptError`, …). Every error this package throws on purpose is
 * a `QuireError` with a stable `code`, listed in `@quire/errors`' ERRORS.md; messages are not
 * stable. `LOCKED` comes from `@quire/vfs` (`LockedError`).
 */
export class NdjsonLogError extends shared.QuireError {}

/**
 * A line in the middle of a log file is damaged (bad checksum, not the documented layout, a break
 * in the `seq` sequence, a batch cut in the middle) and something good follows it, so it is not a
 * torn tail a crash could leave. Code `CORRUPT` (the shared `CorruptError`; it was `NDJSON_CORRUPT`).
 */
export class NdjsonCorruptError extends shared.CorruptError {
  /** The file holding the damaged line. */
  readonly file: string
  /** 1-based line number in `file` (the header is line 1). */
  readonly line: number
  /** What is wrong with the line. */
  readonly reason: string
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`)
    this.file = file
    this.line = line
    this.reason = reason
  }
}

/**
 * A record cannot be stored: not a JSON object, holds a value JSON cannot keep (`undefined`, a
 * function, a `BigInt`, a cycle, a non-finite number, an invalid `Date`, a class instance), or is
 * larger than `maxRecordBytes`. Thrown before anything is written. Code `INVALID_RECORD`.
 */
export class InvalidRecordError extends NdjsonLogError {
  /** Where the offending value sits: `record.items[3].when`, or `records[2].x` in a batch. */
  readonly path: string
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('INVALID_RECORD', `invalid record at ${path}: ${reason}`, options)
    this.path = path
  }
}

/** The log was closed (or is closing). Code `CLOSED`. */
export class ClosedError extends shared.ClosedError {
  constructor(path: string) {
    super(`${path}: the log is closed`)
  }
}

/**
 * A sync (or the repair after a failed write) failed: what the disk holds is unknown, so the log
 * refuses every later write until it is reopened, which recovers from what is really on disk.
 * Code `POISONED`; `cause` is the first failure.
 */
export class PoisonedError extends shared.PoisonedError {
  constructor(path: string, cause: unknown) {
    super(`${path}: a write or sync failed${errnoOf(cause)}; reopen the log to recover`, { cause })
  }
}

/**
 * A write failed (`ENOSPC`, `EIO`) and was rolled back: the file was truncated to its last
 * acknowledged end, nothing of the failed appends is in the log, and the log stays usable.
 * Code `WRITE_FAILED`; `cause` is the file-system error, `errno` its code.
 */
export class WriteFailedError extends shared.WriteFailedError {
  constructor(path: string, cause: unknown) {
    super(`${path}: write failed${errnoOf(cause)} and was rolled back`, { cause })
  }
}

/**
 * Too much already waits for the disk: the operation was refused at once, nothing of it written,
 * so that memory stays bounded when producers outrun the disk. Retry once some of the operations
 * in flight have resolved (back off). `limit` names the bound reached (an option of
 * `NdjsonLog.open`), `max` its value. Code `OVERLOADED`.
 */
export class OverloadedError extends shared.OverloadedError {
  constructor(path: string, limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      `${path}: overloaded: ${queuedOperations} operations (${queuedBytes} bytes) wait for the disk and ${limit} is ${max}; nothing was written, retry once some have resolved`,
      { limit, max, queuedOperations, queuedBytes },
    )
  }
}

/** The file is a Quire NDJSON log of a format version this code does not read. Code `UNSUPPORTED_VERSION`. */
export class UnsupportedVersionError extends shared.UnsupportedVersionError {
  /** The file that carries it. */
  readonly file: string
  /** The format version it carries. */
  readonly version: number
  constructor(file: string, version: number) {
    super(`${file}: format version ${version} is not supported (this code reads 1)`)
    this.file = file
    this.version = version
  }
}

/**
 * The file at the log's path is not an NDJSON log of this library: its first line is not a
 * `quire-ndjson-log` header (an ordinary text file, another program's JSON lines). Nothing was
 * changed, and nothing was created next to it. Code `NOT_NDJSON_LOG`.
 */
export class NotNdjsonLogError extends NdjsonLogError {
  /** The file that is not a log. */
  readonly file: string
  constructor(file: string) {
    super('NOT_NDJSON_LOG', `${file} is not an NDJSON log written by @quire/ndjson-log (its first line is not a "quire-ndjson-log" header); nothing was changed`)
    this.file = file
  }
}

/** ` (ENOSPC)` for a file-system error with a code, so that the message names what the disk said. */
function errnoOf(cause: unknown): string {
  const code = shared.errnoOf(cause)
  return code === undefined ? '' : ` (${code})`
}
