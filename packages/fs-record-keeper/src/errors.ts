/**
 * Stable error codes. Codes are a contract (they do not change across versions); messages are not.
 *
 * - `INVALID_ARGUMENT`: bad input (id not a canonical lower-case UUID, event not a JSON object,
 *   size or offset not a safe integer, event too large); nothing was written.
 * - `NOT_FOUND`: no such event / object.
 * - `EXISTS`: the id is already used (or an add of it is in flight; or any depot state).
 * - `NOT_WRITABLE`: a depot write/finalize on an object that is not WRITABLE.
 * - `NOT_READABLE`: a depot read of an object that is not READABLE.
 * - `OUT_OF_RANGE`: a depot write/read outside the object's bounds.
 * - `CORRUPT`: stored bytes failed their checks (checksum, magic, broken link); never returned as data.
 * - `CLOSED`: the store was closed.
 * - `POISONED`: a write failed (the failing call and every later write get this code, with the
 *   file-system error as `cause`); reopen the store to recover.
 * - `UNSUPPORTED_VERSION`: a newer release wrote the store (its `FORMAT` file, an event file);
 *   `open` refuses before it changes anything.
 * - `OVERLOADED`: `maxQueuedOperations` or `maxQueuedBytes` operations already wait for the disk;
 *   this one was refused at once and nothing of it written. Retry once some have resolved.
 * - `READ_ONLY`: a write on a store opened with `readOnly: true`; nothing was written.
 *
 * `open` and `verify` also throw `@quire/vfs`'s `StoreNotFoundError` (`NOT_FOUND`: no store there),
 * `StoreExistsError` (`EXISTS`, under `errorIfExists`), `PathKindError` (the path is the wrong kind
 * of thing), `ReadOnlyError` (`READ_ONLY`: the OS refuses to write the directory) and `LockedError`.
 */
export type StoreErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'EXISTS'
  | 'NOT_WRITABLE'
  | 'NOT_READABLE'
  | 'OUT_OF_RANGE'
  | 'CORRUPT'
  | 'CLOSED'
  | 'POISONED'
  | 'UNSUPPORTED_VERSION'
  | 'OVERLOADED'
  | 'READ_ONLY'

/**
 * A short description of a value for a message, without converting it: `String()` of a hostile
 * value throws (a null-prototype object, a `toString` that throws) or builds 4 GB (a sparse array
 * of length 2^32 − 1).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

/** ` (ENOSPC)` for a file-system error with a code, so that a message names what the disk said. */
export function errnoOf(cause: unknown): string {
  const code = (cause as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' ? ` (${code})` : ''
}

/** An error the record keeper throws on purpose; test `code`, not the message. */
export class RecordKeeperError extends Error {
  readonly code: StoreErrorCode
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RecordKeeperError'
    this.code = code
  }
}

/** An error the depot throws on purpose; test `code`, not the message. */
export class DepotError extends Error {
  readonly code: StoreErrorCode
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DepotError'
    this.code = code
  }
}

/** The constructor shape both error classes share, so helpers can throw either. */
export type StoreErrorClass = new (code: StoreErrorCode, message: string, options?: { cause?: unknown }) => Error
