import { isQuireError } from '@quire/errors'
import {
  AppendFailedError,
  ClosedError,
  DuplicateEventIdError,
  InvalidArgumentError,
  StreamDeletedError,
  WrongExpectedVersionError,
  type ExpectedRevision,
} from '@quire/event-store'

/*
 * The append and command functions raise one SQLSTATE per refusal, in class `QR` (unused by
 * PostgreSQL), with a JSON detail. Everything else that goes wrong on a write (a lost
 * connection, a server shutting down, a timeout) leaves the outcome unknown to this process:
 * `APPEND_FAILED`, and a retry with the same event ids is safe by the idempotency rule.
 */

/** `QR001`: expected revision not met. Detail `{ request, actual }` (`actual` null: no stream). */
export const SQLSTATE_WRONG_EXPECTED_VERSION = 'QR001'
/** `QR002`: an event id already in the store, not an exact retry. Detail `{ request, eventId, streamName, revision }`. */
export const SQLSTATE_DUPLICATE_EVENT_ID = 'QR002'
/** `QR003`: the stream is tombstoned. Detail `{ request }`. */
export const SQLSTATE_STREAM_DELETED = 'QR003'
/** `QR004`: arguments the functions refuse (a bug in this package: the facade validated them). */
export const SQLSTATE_INVALID_ARGUMENT = 'QR004'
/** 23505 unique_violation: on `events_event_id_key`, a concurrent append wrote the same id first. */
const SQLSTATE_UNIQUE_VIOLATION = '23505'

/** What a failing write was about, so a refusal can name its stream and expectation. */
export interface WriteTarget {
  readonly streamName: string
  readonly expectedRevision: ExpectedRevision
}

interface PgErrorLike {
  readonly code?: unknown
  readonly detail?: unknown
  readonly constraint?: unknown
}

function detailOf(error: PgErrorLike): Record<string, unknown> {
  if (typeof error.detail !== 'string') return {}
  try {
    const parsed: unknown = JSON.parse(error.detail)
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/**
 * The typed error for a failed append or stream command. `targets[i]` is request `i + 1` of the
 * function call. `lookupEventId` finds where an id is (for a unique violation raised by a
 * concurrent writer, which PostgreSQL reports without the other row's place).
 */
export async function writeError(
  error: unknown,
  targets: readonly WriteTarget[],
  lookupEventId: (id: string) => Promise<{ streamName: string; revision: number } | undefined>,
): Promise<Error> {
  // Typed errors (the store's own, thrown before or around the query) pass through unchanged.
  if (isQuireError(error)) return error
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgErrorLike
  const detail = detailOf(e)
  const target = targets[typeof detail.request === 'number' ? detail.request - 1 : 0]
  switch (e.code) {
    case SQLSTATE_WRONG_EXPECTED_VERSION:
      if (target !== undefined) {
        const actual = typeof detail.actual === 'number' ? detail.actual : 'no_stream'
        return new WrongExpectedVersionError(target.streamName, target.expectedRevision, actual)
      }
      break
    case SQLSTATE_DUPLICATE_EVENT_ID:
      if (typeof detail.eventId === 'string' && typeof detail.streamName === 'string' && typeof detail.revision === 'number') {
        return new DuplicateEventIdError(detail.eventId, { streamName: detail.streamName, revision: detail.revision })
      }
      break
    case SQLSTATE_STREAM_DELETED:
      if (target !== undefined) return new StreamDeletedError(target.streamName)
      break
    case SQLSTATE_INVALID_ARGUMENT:
      return new InvalidArgumentError(`the database refused the write: ${String((error as Error).message)}`, { cause: error })
    case SQLSTATE_UNIQUE_VIOLATION: {
      // Two appends with one id to different streams hold different locks; the second waits on
      // the unique index and fails here once the first committed. Nothing of it was written.
      const id = e.constraint === 'events_event_id_key' && typeof e.detail === 'string' ? /\(event_id\)=\(([0-9a-f-]{36})\)/.exec(e.detail)?.[1] : undefined
      if (id !== undefined) {
        const existing = await lookupEventId(id).catch(() => undefined)
        if (existing !== undefined) return new DuplicateEventIdError(id, existing)
      }
      break
    }
  }
  return new AppendFailedError(
    `the write failed and its outcome is unknown (it may have committed); retrying with the same event ids is safe: ${messageOf(error)}`,
    { cause: error },
  )
}

/** A unique violation on the event id index (an id already in the store). */
export function isEventIdConflict(error: unknown): boolean {
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgErrorLike
  return e.code === SQLSTATE_UNIQUE_VIOLATION && e.constraint === 'events_event_id_key'
}

/** Errors of reads and bookkeeping pass through, except after close. */
export function closedOr(error: unknown, closed: boolean): unknown {
  return closed ? new ClosedError() : error
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
