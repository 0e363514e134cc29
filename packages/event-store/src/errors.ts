import * as shared from '@quire/errors'
import { ClosedError, InvalidArgumentError } from '@quire/errors'
import { ReadOnlyError } from '@quire/vfs'

export { ClosedError, InvalidArgumentError } from '@quire/errors'

/**
 * Base class of the errors only `@quire/event-store` has (`WRONG_EXPECTED_VERSION`,
 * `APPEND_FAILED`, …), a `QuireError`. Every error this package throws on purpose is a
 * `QuireError` with a stable `code` (listed for all packages in `@quire/errors`' ERRORS.md);
 * those for shared conditions are (or extend) the shared classes. Codes are a contract; messages
 * are not. Errors a backend's `open` throws (`LOCKED`, the logs' `CORRUPT`) pass through unchanged.
 */
export class EventStoreError extends shared.QuireError {}

/** What a stream was found to be when an expectation failed: `'no_stream'` or its last revision. */
export type ActualRevision = 'no_stream' | number

/**
 * The stream's state differs from the append's `expectedRevision`. Nothing was written. In a
 * `multiStreamAppend`, `streamName` is the first failing request's. Retry after reloading.
 */
export class WrongExpectedVersionError extends EventStoreError {
  readonly streamName: string
  readonly expected: 'any' | 'no_stream' | 'stream_exists' | number
  readonly actual: ActualRevision

  constructor(streamName: string, expected: 'any' | 'no_stream' | 'stream_exists' | number, actual: ActualRevision) {
    super(
      'WRONG_EXPECTED_VERSION',
      `stream ${JSON.stringify(streamName)}: expected revision ${String(expected)}, actual ${String(actual)}`,
    )
    this.streamName = streamName
    this.expected = expected
    this.actual = actual
  }
}

/** `readStream` of a stream that never existed, or that is soft-deleted with nothing after. */
export class StreamNotFoundError extends EventStoreError {
  readonly streamName: string
  constructor(streamName: string) {
    super('STREAM_NOT_FOUND', `stream ${JSON.stringify(streamName)} not found`)
    this.streamName = streamName
  }
}

/** Append to, or read of, a tombstoned stream. Refused forever. */
export class StreamDeletedError extends EventStoreError {
  readonly streamName: string
  constructor(streamName: string) {
    super('STREAM_DELETED', `stream ${JSON.stringify(streamName)} is tombstoned`)
    this.streamName = streamName
  }
}

/**
 * An event id already in the store, and this append is not an exact retry of the append that
 * wrote it (see the README's idempotency rule). Nothing was written.
 */
export class DuplicateEventIdError extends EventStoreError {
  readonly eventId: string
  readonly existing: { readonly streamName: string; readonly revision: number }
  constructor(eventId: string, existing: { readonly streamName: string; readonly revision: number }) {
    super(
      'DUPLICATE_EVENT_ID',
      `event id ${eventId} is already in stream ${JSON.stringify(existing.streamName)} at revision ${existing.revision}`,
    )
    this.eventId = eventId
    this.existing = existing
  }
}

/** An append over a limit (events per append, bytes per append). Nothing was written. Split it. */
export class AppendTooLargeError extends EventStoreError {
  readonly limit: string
  readonly value: number
  readonly max: number
  constructor(limit: string, value: number, max: number) {
    super('MAX_APPEND_SIZE_EXCEEDED', `append too large: ${limit} is ${value}, at most ${max}`)
    this.limit = limit
    this.value = value
    this.max = max
  }
}

/**
 * The backend failed to take one append, and the caller cannot tell whether it is stored: the
 * write was rolled back (`cause` is the log's `WRITE_FAILED`), or a sync failed (`cause` is the
 * log's `POISONED` error, and later appends get `POISONED`), or PostgreSQL's connection was lost
 * mid-commit. Retrying with the same event ids is safe (idempotency rule), which is why both
 * outcomes share this code. Code `APPEND_FAILED`.
 */
export class AppendFailedError extends EventStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('APPEND_FAILED', message, options)
  }
}

/**
 * An earlier sync failed; every write is refused until the store is closed and reopened. Code
 * `POISONED` (the shared `PoisonedError`); `cause` is the first failure.
 */
export class StorePoisonedError extends shared.PoisonedError {
  constructor(cause: unknown) {
    super('event store is poisoned by an earlier I/O failure; close and reopen it', { cause })
  }
}

/**
 * A stored checkpoint does not match the log: its position is beyond the end, or the event there
 * has another id (the log was rewritten: restored backup, point-in-time recovery, `sync: 'none'`
 * power loss). Never a silent skip: reset it with `resetCheckpoint`.
 */
export class CheckpointMismatchError extends EventStoreError {
  readonly subscriptionId: string
  readonly checkpoint: { readonly position: bigint; readonly eventId: string }
  constructor(subscriptionId: string, checkpoint: { readonly position: bigint; readonly eventId: string }, reason: string) {
    super('CHECKPOINT_MISMATCH', `subscription ${JSON.stringify(subscriptionId)}: checkpoint at position ${checkpoint.position} (${checkpoint.eventId}) ${reason}`)
    this.subscriptionId = subscriptionId
    this.checkpoint = checkpoint
  }
}

/** A live subscription ended: the store closed, the handler threw, the backend went away. */
export class SubscriptionDroppedError extends EventStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SUBSCRIPTION_DROPPED', message, options)
  }
}

/**
 * The log holds something this package did not write: a hole in positions, a revision out of
 * sequence, an unknown record. Restore from a backup. Code `CORRUPT` (the shared
 * `CorruptError`; it was `EVENT_STORE_CORRUPT`).
 */
export class EventStoreCorruptError extends shared.CorruptError {}

/**
 * Too much already waits for the backend: the append (or stream command) was refused at once,
 * nothing written, so that memory stays bounded when callers outrun the disk. Retry once some of
 * the appends in flight have resolved (back off; the same event ids make a retry safe). `limit`
 * names the bound reached (an option of `EventStore.open`), `max` its value.
 */
export class OverloadedError extends shared.OverloadedError {
  constructor(limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number) {
    super(
      `event store overloaded: ${queuedOperations} appends (${queuedBytes} bytes) wait for the backend and ${limit} is ${max}; nothing was written, retry once some have resolved`,
      { limit, max, queuedOperations, queuedBytes },
    )
  }
}

/** A feature this backend lacks. */
export class UnsupportedError extends EventStoreError {
  constructor(message: string) {
    super('UNSUPPORTED', message)
  }
}

/**
 * A write (an append, a stream command, a checkpoint or snapshot save) on a store whose backend
 * was opened with `readOnly: true`, or a writable open of a folder the OS does not let this
 * process write. Nothing was written. Code `READ_ONLY`. It is `@quire/vfs`'s class itself (which
 * the backends' open throws), so one `instanceof ReadOnlyError` covers both cases.
 */
export { ReadOnlyError }

/**
 * Whether `err` is one of the errors this package throws on purpose (its own classes and the
 * shared ones it throws), which wrappers pass through unchanged instead of wrapping as
 * `APPEND_FAILED` or `INVALID_ARGUMENT`.
 *
 * @internal
 */
export function isEventStoreError(err: unknown): err is shared.QuireError {
  return (
    err instanceof EventStoreError ||
    err instanceof InvalidArgumentError ||
    err instanceof ClosedError ||
    err instanceof StorePoisonedError ||
    err instanceof EventStoreCorruptError ||
    err instanceof OverloadedError ||
    err instanceof ReadOnlyError
  )
}
