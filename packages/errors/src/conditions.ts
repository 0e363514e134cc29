import { errnoOf, QuireError } from './quire-error.js'

/**
 * Bad input: an argument or option of the wrong type, out of range, over a size limit, or a
 * value a codec refuses. Thrown before anything is written (nothing changed). Code
 * `INVALID_ARGUMENT`. Every package throws this one class, so `instanceof` holds whichever
 * package's re-export was imported.
 */
export class InvalidArgumentError extends QuireError {
  /**
   * @param message - what was wrong and with which argument.
   * @param options - `cause`: the underlying refusal (a codec's `InvalidValueError`, a throwing getter).
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options)
  }
}

/** The store (or log, or handle) was closed, or is closing: no more operations are accepted. Code `CLOSED`. */
export class ClosedError extends QuireError {
  /** @param message - defaults to `'the store is closed'`. */
  constructor(message = 'the store is closed', options?: { cause?: unknown }) {
    super('CLOSED', message, options)
  }
}

/**
 * The store stopped trusting its file handle: a sync failed (what the disk holds is unknown), or
 * a failed write could not be rolled back. The operation that hit it and every later write
 * reject with this code until the store is closed and reopened (reopening recovers from what is
 * really on disk). An operation rejected this way may or may not be there after reopening.
 * `cause` is the first failure. Code `POISONED`.
 */
export class PoisonedError extends QuireError {
  /**
   * @param message - what failed and what to do (reopen).
   * @param options - `cause`: the first I/O failure, kept for every later rejection.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('POISONED', message, options)
  }
}

/**
 * One write failed (`ENOSPC`, `EIO`, a failed rename) and was rolled back: nothing of that
 * operation is stored, and the store stays usable. Contrast {@link PoisonedError}, where the
 * outcome is unknown. Code `WRITE_FAILED`; `cause` is the file-system error.
 */
export class WriteFailedError extends QuireError {
  /** The file system's error code (`'ENOSPC'`, `'EIO'`, …) of `cause`, when it has one. */
  readonly errno: string | undefined

  /**
   * @param message - what failed (packages name the errno in it).
   * @param options - `cause`: the file-system error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    const errno = errnoOf(options?.cause)
    super('WRITE_FAILED', message, options)
    this.errno = errno
  }
}

/**
 * Stored bytes fail their checks where valid data must be (a bad checksum or layout in the
 * middle of a log, not a torn tail a crash could leave; a broken link; a record this package
 * did not write; bytes a value codec cannot decode). Never returned as data. Code `CORRUPT`;
 * package subclasses say where (a segment and offset, a file and line).
 */
export class CorruptError extends QuireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT', message, options)
  }
}

/**
 * Stored data (a file, a record, a database schema) carries a format version this release does
 * not read, usually because a newer release wrote it. Refused before anything is changed: an
 * older release never deletes, cuts or rewrites what it cannot read. Code `UNSUPPORTED_VERSION`.
 */
export class UnsupportedVersionError extends QuireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED_VERSION', message, options)
  }
}

/** Which bound an {@link OverloadedError} met, and what was waiting. */
export interface OverloadDetails {
  /** The option whose bound was reached. */
  readonly limit: 'maxQueuedOperations' | 'maxQueuedBytes'
  /** That option's value. */
  readonly max: number
  /** Operations waiting for the disk when this one came. */
  readonly queuedOperations: number
  /** Bytes those operations hold (encoded sizes). */
  readonly queuedBytes: number
}

/**
 * Too much already waits for the disk: the operation was refused at once, nothing of it
 * written, so that memory stays bounded when producers outrun the disk. Retry once some of the
 * operations in flight have resolved (back off). Code `OVERLOADED`.
 */
export class OverloadedError extends QuireError implements OverloadDetails {
  readonly limit: 'maxQueuedOperations' | 'maxQueuedBytes'
  readonly max: number
  readonly queuedOperations: number
  readonly queuedBytes: number

  constructor(message: string, details: OverloadDetails) {
    super('OVERLOADED', message)
    this.limit = details.limit
    this.max = details.max
    this.queuedOperations = details.queuedOperations
    this.queuedBytes = details.queuedBytes
  }
}

/**
 * A write on something opened read-only (a store opened with `readOnly: true`, a read-only
 * transaction), or a store the OS does not let this process write. Nothing was written. Code
 * `READ_ONLY`.
 */
export class ReadOnlyError extends QuireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('READ_ONLY', message, options)
  }
}

/** What was asked for does not exist: no store at a path, no such event or object. Code `NOT_FOUND`. */
export class NotFoundError extends QuireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options)
  }
}

/**
 * What was to be created already exists: a store at a path opened with `errorIfExists`, an id
 * already used. Nothing was changed. Code `EXISTS`.
 */
export class ExistsError extends QuireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EXISTS', message, options)
  }
}
