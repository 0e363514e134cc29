import * as shared from '@quire/errors'
import { ReadOnlyError } from '@quire/vfs'

/**
 * Stable error codes, the shared contract of `@quire/errors` (listed for all packages in its
 * ERRORS.md). Codes are a contract (they do not change across versions); messages are not.
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
  const code = shared.errnoOf(cause)
  return code === undefined ? '' : ` (${code})`
}

/** Options of a {@link FsStoreError}: the `cause`, and for `OVERLOADED` the bound that was met. */
export interface FsStoreErrorOptions {
  /** The error underneath (a file-system error). */
  readonly cause?: unknown
  /** For `OVERLOADED`: the bound met and what was waiting. */
  readonly overload?: shared.OverloadDetails
}

/**
 * `READ_ONLY` as `@quire/vfs`'s `ReadOnlyError` (the class this package exports, and the one a
 * writable open of an unwritable folder throws), so one `instanceof ReadOnlyError` covers both.
 */
class StoreReadOnlyError extends ReadOnlyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('write', 'the store was opened with readOnly: true', options)
    this.message = message
  }
}

/** The shared class of each shared code (`OVERLOADED` needs its details, so it is built apart). */
const SHARED_CLASS: Partial<Record<StoreErrorCode, new (message: string, options?: { cause?: unknown }) => shared.QuireError>> = {
  INVALID_ARGUMENT: shared.InvalidArgumentError,
  NOT_FOUND: shared.NotFoundError,
  EXISTS: shared.ExistsError,
  CORRUPT: shared.CorruptError,
  CLOSED: shared.ClosedError,
  POISONED: shared.PoisonedError,
  UNSUPPORTED_VERSION: shared.UnsupportedVersionError,
  READ_ONLY: StoreReadOnlyError,
}

/** Which store class built each shared-class error, for `instanceof RecordKeeperError` / `DepotError`. */
const builtBy = new WeakMap<object, abstract new (...args: never[]) => unknown>()

function sharedErrorFor(code: StoreErrorCode, message: string, options: FsStoreErrorOptions | undefined): shared.QuireError | undefined {
  const causeOnly = options === undefined || !('cause' in options) ? undefined : { cause: options.cause }
  if (code === 'OVERLOADED') return options?.overload === undefined ? undefined : new shared.OverloadedError(message, options.overload)
  const Shared = SHARED_CLASS[code]
  return Shared === undefined ? undefined : new Shared(message, causeOnly)
}

/**
 * Base of the record keeper's and the depot's errors, a `QuireError` whose `code` is one of
 * {@link StoreErrorCode}. Both stores throw by code (`new RecordKeeperError('CORRUPT', …)`), and
 * for a shared code the constructor builds the shared class of `@quire/errors` for it
 * (`CorruptError`, `PoisonedError`, `InvalidArgumentError`, `OverloadedError` with its `limit`,
 * `max`, `queuedOperations`, `queuedBytes`, …), so `instanceof CorruptError` holds for a
 * record keeper's corruption as for a WAL's; `name` is still the store's class
 * (`RecordKeeperError`), and `instanceof RecordKeeperError` still holds. Codes only these stores
 * have (`NOT_WRITABLE`, `NOT_READABLE`, `OUT_OF_RANGE`) are instances of the store's class itself.
 */
export class FsStoreError extends shared.QuireError {
  /** The stable code. */
  declare readonly code: StoreErrorCode

  constructor(code: StoreErrorCode, message: string, options?: FsStoreErrorOptions) {
    super(code, message, options === undefined || !('cause' in options) ? undefined : { cause: options.cause })
    const sharedError = sharedErrorFor(code, message, options)
    if (sharedError === undefined) return
    Object.defineProperty(sharedError, 'name', { value: new.target.name, writable: true, configurable: true, enumerable: false })
    builtBy.set(sharedError, new.target)
    // A constructor may hand back another object: the shared class's instance, marked as ours.
    return sharedError as this
  }

  /** True for an instance of this class, and for a shared-class error this class (or a subclass) built. */
  static override [Symbol.hasInstance](this: abstract new (...args: never[]) => unknown, value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
    if (typeof value !== 'object' || value === null) return false
    const builder = builtBy.get(value)
    return builder !== undefined && (builder === this || Object.prototype.isPrototypeOf.call(this.prototype, builder.prototype))
  }
}

/** An error the record keeper throws on purpose; test `code`, not the message. */
export class RecordKeeperError extends FsStoreError {}

/** An error the depot throws on purpose; test `code`, not the message. */
export class DepotError extends FsStoreError {}

/** The constructor shape both error classes share, so helpers can throw either. */
export type StoreErrorClass = new (code: StoreErrorCode, message: string, options?: FsStoreErrorOptions) => Error

/**
 * The `OVERLOADED` refusal of a queue of `what` (a depot, a record keeper), for
 * `QueueBudget` / `GroupCommit` of `@quire/durable`: the error carries the bound met and what
 * was waiting (`limit`, `max`, `queuedOperations`, `queuedBytes`).
 */
export function overloadedError(ErrorClass: StoreErrorClass, what: string): (overload: shared.OverloadDetails) => Error {
  return (overload) =>
    new ErrorClass(
      'OVERLOADED',
      `${what} overloaded: ${overload.queuedOperations} operations (${overload.queuedBytes} bytes) wait for the disk and ${overload.limit} is ${overload.max}; nothing was written, retry once some have resolved`,
      { overload },
    )
}
