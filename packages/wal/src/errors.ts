/**
 * Every error `@quire/wal` throws on purpose is a {@link WalError} with a stable `code`.
 * Codes are a contract; messages are not.
 */
export class WalError extends Error {
  /** Stable machine-readable code, e.g. `WAL_CORRUPT`. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/**
 * The log holds bytes that are not a valid record where valid records must be (corruption
 * in the middle of the log, not a torn tail). Thrown by `Wal.open` under `recovery: 'strict'`
 * (the default), and by `replay` if corruption appears while the log is open.
 */
export class WalCorruptError extends WalError {
  /** Segment file name (not a path), e.g. `00000000000000000001.wal`, or the floor file's name. */
  readonly segment: string
  /** Byte offset in that file where the bad data starts. */
  readonly offset: number

  constructor(segment: string, offset: number, reason: string) {
    super('WAL_CORRUPT', `write-ahead log is corrupt in ${segment} at byte ${offset}: ${reason}`)
    this.segment = segment
    this.offset = offset
  }
}

/**
 * A segment or the floor file carries a format version newer than this release reads (a newer
 * release wrote it). `Wal.open` refuses, in every recovery mode, before it changes anything: an
 * older release never deletes, cuts or rewrites a file it cannot read.
 */
export class WalUnsupportedVersionError extends WalError {
  /** The file's name in the log's directory. */
  readonly file: string
  /** The format version it carries. */
  readonly version: number

  constructor(file: string, version: number) {
    super('UNSUPPORTED_VERSION', `${file} has write-ahead log format version ${version}; this release reads version 1 and will not touch it (open it with a newer release)`)
    this.file = file
    this.version = version
  }
}

/** The log was closed (or is closing): no more operations are accepted. */
export class WalClosedError extends WalError {
  constructor() {
    super('CLOSED', 'write-ahead log is closed')
  }
}

/**
 * A write-back failure (a failed `fdatasync`, or a failed write that could not be rolled back)
 * left the log in a state this process can no longer vouch for. The operation that hit it and
 * every later write reject with this error until the log is closed and reopened (reopening
 * recovers). An operation rejected with this error may or may not be in the log after reopen.
 */
export class WalPoisonedError extends WalError {
  constructor(cause: unknown) {
    super('WAL_POISONED', 'write-ahead log is poisoned by an earlier I/O failure; close and reopen it', {
      cause,
    })
  }
}

/**
 * A write failed (for instance `ENOSPC`) and was rolled back cleanly: the operations it carried
 * are not in the log, and the log stays valid and accepts further appends. `cause` is the file
 * system error; `errno` its code (`ENOSPC`, `EIO`, ...).
 */
export class WalWriteError extends WalError {
  readonly errno: string | undefined

  constructor(cause: unknown) {
    const errno = (cause as { code?: unknown } | undefined)?.code
    super('WAL_WRITE_FAILED', `write to the log failed${typeof errno === 'string' ? ` (${errno})` : ''}; nothing was appended`, {
      cause,
    })
    this.errno = typeof errno === 'string' ? errno : undefined
  }
}

/**
 * Too much is already waiting for the disk: the operation was refused at once, before anything
 * was encoded or written, so that memory stays bounded when producers outrun the disk. Retry it
 * once some of the operations in flight have resolved (back off). `limit` names the bound that
 * was reached (an option of `Wal.open`), `max` its value; `queuedOperations` and `queuedBytes`
 * what was waiting when the operation came.
 */
export class WalOverloadedError extends WalError {
  readonly limit: 'maxQueuedOperations' | 'maxQueuedBytes'
  readonly max: number
  readonly queuedOperations: number
  readonly queuedBytes: number

  constructor(limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      'OVERLOADED',
      `write-ahead log overloaded: ${queuedOperations} operations (${queuedBytes} bytes) wait for the disk and ${limit} is ${max}; nothing was written, retry once some have resolved`,
    )
    this.limit = limit
    this.max = max
    this.queuedOperations = queuedOperations
    this.queuedBytes = queuedBytes
  }
}

/** Bad input (wrong type, over-size key or value, empty or too-big batch): nothing was written. */
export class InvalidArgumentError extends WalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options)
  }
}
