/** Base class of every error `@quire/mvcc` throws on purpose; `code` is stable across versions. */
export class MvccError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

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

/** A write was attempted in a transaction begun with `{ readOnly: true }`. */
export class ReadOnlyError extends MvccError {
  constructor(message = 'transaction is read-only') {
    super('READ_ONLY', message)
  }
}

/** Bad input (key, value, option); rejected before anything is written. */
export class InvalidArgumentError extends MvccError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options)
  }
}

/** The store is closed. */
export class ClosedError extends MvccError {
  constructor() {
    super('CLOSED', 'store is closed')
  }
}

/**
 * Writing a commit to the WAL failed. The commit may or may not be durable (a failed fsync
 * leaves it unknown), so the store stops accepting commits until it is reopened and recovered.
 */
export class CommitFailedError extends MvccError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('COMMIT_FAILED', message, options)
  }
}

/** The WAL or a checkpoint holds something this package did not write (or history is missing). */
export class MvccCorruptError extends MvccError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MVCC_CORRUPT', message, options)
  }
}

/**
 * A newer release wrote part of the store (its newest checkpoint, a commit record) in a format
 * version this release does not read. `open` refuses before it writes anything, so the newer
 * release's files are never pruned, truncated or overwritten.
 */
export class UnsupportedVersionError extends MvccError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED_VERSION', message, options)
  }
}

/**
 * Too many commits already wait for the disk: this one was refused at once, before validation,
 * and its transaction aborted (nothing written, nothing visible). Memory stays bounded when
 * callers outrun the disk; retry the transaction once some commits have resolved (back off).
 * `limit` names the bound reached (an option of `MvccStore.open`), `max` its value.
 */
export class OverloadedError extends MvccError {
  readonly limit: 'maxQueuedOperations' | 'maxQueuedBytes'
  readonly max: number
  readonly queuedOperations: number
  readonly queuedBytes: number

  constructor(limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      'OVERLOADED',
      `store overloaded: ${queuedOperations} commits (${queuedBytes} bytes) wait for the disk and ${limit} is ${max}; the transaction was aborted, nothing written`,
    )
    this.limit = limit
    this.max = max
    this.queuedOperations = queuedOperations
    this.queuedBytes = queuedBytes
  }
}
