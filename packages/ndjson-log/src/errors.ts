/**
 * Base class of every error `@quire/ndjson-log` throws on purpose. `code` is stable across
 * versions; messages are not. `LOCKED` comes from `@quire/vfs` (`LockedError`).
 */
export class NdjsonLogError extends Error {
  /** Stable error code. */
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/**
 * A line in the middle of a log file is damaged (bad checksum, not the documented layout, a break
 * in the `seq` sequence, a batch cut in the middle) and something good follows it, so it is not a
 * torn tail a crash could leave. Code `NDJSON_CORRUPT`.
 */
export class NdjsonCorruptError extends NdjsonLogError {
  /** The file holding the damaged line. */
  readonly file: string
  /** 1-based line number in `file` (the header is line 1). */
  readonly line: number
  /** What is wrong with the line. */
  readonly reason: string
  constructor(file: string, line: number, reason: string) {
    super('NDJSON_CORRUPT', `${file}:${line}: ${reason}`)
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

/** A caller passed an option or argument out of its type or range. Code `INVALID_ARGUMENT`. */
export class InvalidArgumentError extends NdjsonLogError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
  }
}

/** The log was closed (or is closing). Code `CLOSED`. */
export class ClosedError extends NdjsonLogError {
  constructor(path: string) {
    super('CLOSED', `${path}: the log is closed`)
  }
}

/**
 * A sync (or the repair after a failed write) failed: what the disk holds is unknown, so the log
 * refuses every later write until it is reopened, which recovers from what is really on disk.
 * Code `POISONED`; `cause` is the first failure.
 */
export class PoisonedError extends NdjsonLogError {
  constructor(path: string, cause: unknown) {
    super('POISONED', `${path}: a write or sync failed${errnoOf(cause)}; reopen the log to recover`, { cause })
  }
}

/**
 * A write failed (`ENOSPC`, `EIO`) and was rolled back: the file was truncated to its last
 * acknowledged end, nothing of the failed appends is in the log, and the log stays usable.
 * Code `WRITE_FAILED`; `cause` is the file-system error.
 */
export class WriteFailedError extends NdjsonLogError {
  constructor(path: string, cause: unknown) {
    super('WRITE_FAILED', `${path}: write failed${errnoOf(cause)} and was rolled back`, { cause })
  }
}

/**
 * Too much already waits for the disk: the operation was refused at once, nothing of it written,
 * so that memory stays bounded when producers outrun the disk. Retry once some of the operations
 * in flight have resolved (back off). `limit` names the bound reached (an option of
 * `NdjsonLog.open`), `max` its value. Code `OVERLOADED`.
 */
export class OverloadedError extends NdjsonLogError {
  readonly limit: 'maxQueuedOperations' | 'maxQueuedBytes'
  readonly max: number
  readonly queuedOperations: number
  readonly queuedBytes: number
  constructor(path: string, limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      'OVERLOADED',
      `${path}: overloaded: ${queuedOperations} operations (${queuedBytes} bytes) wait for the disk and ${limit} is ${max}; nothing was written, retry once some have resolved`,
    )
    this.limit = limit
    this.max = max
    this.queuedOperations = queuedOperations
    this.queuedBytes = queuedBytes
  }
}

/** The file is a Quire NDJSON log of a format version this code does not read. */
export class UnsupportedVersionError extends NdjsonLogError {
  readonly version: number
  constructor(file: string, version: number) {
    super('UNSUPPORTED_VERSION', `${file}: format version ${version} is not supported (this code reads 1)`)
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
  const code = (cause as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' ? ` (${code})` : ''
}
