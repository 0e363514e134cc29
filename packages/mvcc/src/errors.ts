import * as shared from '@quire/errors'

export { ClosedError, InvalidArgumentError, UnsupportedVersionError } from '@quire/errors'

/**
 * Base class of the errors only `@quire/mvcc` has (`CONFLICT`, `TX_CLOSED`, `TX_TIMEOUT`), a
 * `QuireError`. Its errors for shared conditions are (or extend) the shared classes of
 * `@quire/errors`; every code is stable across versions and listed in its ERRORS.md.
 */
export class MvccError extends shared.QuireError {}

/** The transaction must not commit: a concurrent transaction committed a conflicting write first. */
export class ConflictError extends MvccError {
  /** The key whose concurrent write caused the conflict (one of them, when several did). */
  readonly key: string
  /** `'write-write'` (first committer wins) or `'read-write'` (serializable: a read went stale). */
  readonly kind: 'write-write' | 'read-write'

  constructor(key: string, kind: 'write-write' | 'read-write') {
    super(
      'CONFLICT',
      kind === 'write-write'
        ? `conflict: key ${JSON.stringify(key)} was written by a transaction that committed after this one began`
        : `conflict: key ${JSON.stringify(key)} read by this transaction was overwritten by a transaction that committed after this one began`,
    )
    this.key = key
    this.kind = kind
  }
}

/** The transaction was already committed or aborted (or aborted by a timeout). */
export class TransactionClosedError extends MvccError {
  constructor(message = 'transaction is closed (committed or aborted)') {
    super('TX_CLOSED', message)
  }
}

/** The transaction was open longer than `txTimeoutMs` and has been aborted. */
export class TransactionTimeoutError extends MvccError {
  constructor(timeoutMs: number) {
    super('TX_TIMEOUT', `transaction was open longer than txTimeoutMs (${timeoutMs} ms) and has been aborted`)
  }
}

/**
 * A write in a transaction begun with `{ readOnly: true }`, on a store opened with
 * `readOnly: true`, or a writable open of a folder the OS does not let this process write. Code
 * `READ_ONLY`. It is `@quire/vfs`'s class itself (which the open throws), so one
 * `instanceof ReadOnlyError` covers every case.
 */
export { ReadOnlyError } from '@quire/vfs'

/**
 * Writing a commit to the WAL failed. The commit may or may not be durable (a failed fsync
 * leaves it unknown), so the store stops accepting commits until it is reopened and recovered:
 * that commit, every later one, `begin` and `checkpoint` reject with this error. Code `POISONED`
 * (the shared `PoisonedError`; it was `COMMIT_FAILED`); `cause` is the first failure.
 */
export class CommitFailedError extends shared.PoisonedError {}

/**
 * The WAL or a checkpoint holds something this package did not write (or history is missing).
 * Code `CORRUPT` (the shared `CorruptError`; it was `MVCC_CORRUPT`).
 */
export class MvccCorruptError extends shared.CorruptError {}

/**
 * Too many commits already wait for the disk: this one was refused at once, before validation,
 * and its transaction aborted (nothing written, nothing visible). Memory stays bounded when
 * callers outrun the disk; retry the transaction once some commits have resolved (back off).
 * `limit` names the bound reached (an option of `MvccStore.open`), `max` its value.
 */
export class OverloadedError extends shared.OverloadedError {
  constructor(limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      `store overloaded: ${queuedOperations} commits (${queuedBytes} bytes) wait for the disk and ${limit} is ${max}; the transaction was aborted, nothing written`,
      { limit, max, queuedOperations, queuedBytes },
    )
  }
}
