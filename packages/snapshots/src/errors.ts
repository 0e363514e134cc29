import { CorruptError, OverloadedError as SharedOverloadedError, UnsupportedVersionError as SharedUnsupportedVersionError, WriteFailedError as SharedWriteFailedError, errnoOf } from '@quire/errors'

export { ClosedError, InvalidArgumentError, PoisonedError, QuireError as SnapshotError } from '@quire/errors'

/**
 * A snapshot file failed verification. Never thrown by `load` (a damaged file is skipped):
 * it is the `error` handed to the `onCorrupt` hook. Code `CORRUPT` (the shared `CorruptError`;
 * it was `SNAPSHOT_CORRUPT`).
 */
export class SnapshotCorruptError extends CorruptError {
  /** The damaged file's absolute path. */
  readonly file: string
  /** Why the file was rejected (e.g. `checksum mismatch`). */
  readonly reason: string

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`damaged snapshot ${file}: ${reason}`, options)
    this.file = file
    this.reason = reason
  }
}

/**
 * A snapshot file of a format version newer than this release reads. Never thrown: the file is
 * left alone (not loaded, not pruned, not deleted), and this error is handed once per file to the
 * `onUnsupported` hook. Code `UNSUPPORTED_VERSION`.
 */
export class UnsupportedVersionError extends SharedUnsupportedVersionError {
  /** The file's absolute path. */
  readonly file: string
  /** The format version it carries. */
  readonly version: number

  constructor(file: string, version: number) {
    super(`${file} has format version ${version}; this release reads version 1 and leaves it alone`)
    this.file = file
    this.version = version
  }
}

/**
 * A save's (or delete's) file-system step failed — `ENOSPC`, `EIO` on a write, a failed rename —
 * before anything was acknowledged, and nothing of it is visible: the store removed its temp file
 * and goes on (a failed sync is `PoisonedError` instead). `errno` is the file system's code;
 * `cause` its error. Code `WRITE_FAILED`.
 */
export class WriteFailedError extends SharedWriteFailedError {
  constructor(what: string, cause: unknown) {
    const errno = errnoOf(cause)
    super(`${what} failed${errno === undefined ? '' : ` (${errno})`}; nothing was saved, the store goes on`, { cause })
  }
}

/**
 * Too much already waits for the disk: the save (or delete) was refused at once, nothing of it
 * written, so that memory stays bounded when callers outrun the disk. Retry once some of the
 * saves in flight have resolved (back off). `limit` names the bound reached (an option of
 * `SnapshotStore.open`), `max` its value. Code `OVERLOADED`.
 */
export class OverloadedError extends SharedOverloadedError {
  constructor(limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      `snapshot store overloaded: ${queuedOperations} saves and deletes (${queuedBytes} bytes) wait for the disk and ${limit} is ${max}; nothing was written, retry once some have resolved`,
      { limit, max, queuedOperations, queuedBytes },
    )
  }
}
