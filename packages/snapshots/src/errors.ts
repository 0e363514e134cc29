/**
 * Every error `@quire/snapshots` throws on purpose is a {@link SnapshotError} with a stable
 * `code`. Codes are a contract; messages are not.
 */
export class SnapshotError extends Error {
  /** Stable machine-readable code, e.g. `INVALID_ARGUMENT`. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Bad input (key, position, schema version, state, options), rejected before any write. */
export class InvalidArgumentError extends SnapshotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options)
  }
}

/** The store was closed; open it again. */
export class ClosedError extends SnapshotError {
  constructor(message = 'snapshot store is closed') {
    super('CLOSED', message)
  }
}

/**
 * A snapshot file failed verification. Never thrown by `load` (a damaged file is skipped):
 * it is the `error` handed to the `onCorrupt` hook.
 */
export class SnapshotCorruptError extends SnapshotError {
  /** The damaged file's absolute path. */
  readonly file: string
  /** Why the file was rejected (e.g. `checksum mismatch`). */
  readonly reason: string

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('SNAPSHOT_CORRUPT', `damaged snapshot ${file}: ${reason}`, options)
    this.file = file
    this.reason = reason
  }
}

/**
 * A sync, rename or directory sync failed, so what is on disk is no longer known: every later
 * `save`/`delete` rejects with this error until the store is closed and reopened.
 */
export class PoisonedError extends SnapshotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('POISONED', message, options)
  }
}

/**
 * A snapshot file of a format version newer than this release reads. Never thrown: the file is
 * left alone (not loaded, not pruned, not deleted), and this error is handed once per file to the
 * `onUnsupported` hook.
 */
export class UnsupportedVersionError extends SnapshotError {
  /** The file's absolute path. */
  readonly file: string
  /** The format version it carries. */
  readonly version: number

  constructor(file: string, version: number) {
    super('UNSUPPORTED_VERSION', `${file} has format version ${version}; this release reads version 1 and leaves it alone`)
    this.file = file
    this.version = version
  }
}

/**
 * A save's (or delete's) file-system step failed — `ENOSPC`, `EIO` on a write, a failed rename —
 * before anything was acknowledged, and nothing of it is visible: the store removed its temp file
 * and goes on (a failed sync is {@link PoisonedError} instead). `errno` is the file system's code;
 * `cause` its error. Code `WRITE_FAILED`.
 */
export class WriteFailedError extends SnapshotError {
  readonly errno: string | undefined
  constructor(what: string, cause: unknown) {
    const errno = (cause as { code?: unknown } | null | undefined)?.code
    super('WRITE_FAILED', `${what} failed${typeof errno === 'string' ? ` (${errno})` : ''}; nothing was saved, the store goes on`, { cause })
    this.errno = typeof errno === 'string' ? errno : undefined
  }
}

/**
 * Too much already waits for the disk: the save (or delete) was refused at once, nothing of it
 * written, so that memory stays bounded when callers outrun the disk. Retry once some of the
 * saves in flight have resolved (back off). `limit` names the bound reached (an option of
 * `SnapshotStore.open`), `max` its value.
 */
export class OverloadedError extends SnapshotError {
  readonly limit: 'maxQueuedOperations' | 'maxQueuedBytes'
  readonly max: number
  readonly queuedOperations: number
  readonly queuedBytes: number

  constructor(limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      'OVERLOADED',
      `snapshot store overloaded: ${queuedOperations} saves and deletes (${queuedBytes} bytes) wait for the disk and ${limit} is ${max}; nothing was written, retry once some have resolved`,
    )
    this.limit = limit
    this.max = max
    this.queuedOperations = queuedOperations
    this.queuedBytes = queuedBytes
  }
}
