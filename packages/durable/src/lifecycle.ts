import { ClosedError, ReadOnlyError } from '@quire/errors'
import { acquireLock, ensureDir, undoFailedOpen, type AcquireLockOptions, type DirLock, type FileSystem } from '@quire/vfs'
import { Poison } from './poison.js'

/** The steps of a store's `open` after its options were validated; see {@link openStore}. */
export interface OpenStoreSteps<R, S> {
  readonly fs: FileSystem
  /** The store's directory, absolute (`path.resolve` it first): created if missing, then locked. */
  readonly dir: string
  /** Passed to `acquireLock` (`subject`: a file the lock also guards). */
  readonly lock?: AcquireLockOptions
  /**
   * Reads (and repairs) what is on disk, under the lock. May open handles: if a later step
   * fails, {@link OpenStoreSteps.discard} gets what it returned, to close them.
   */
  recover(lock: DirLock): Promise<R>
  /** Builds the store from what `recover` returned. Only the store owns the lock after this. */
  construct(recovered: R, lock: DirLock): S | Promise<S>
  /** Releases what `recover` opened when `construct` failed (best effort; its error is ignored). */
  discard?(recovered: R): Promise<void>
}

/**
 * A store's `open`, in the order every Quire store follows (validate the options first, before
 * calling this: bad input must fail before anything is created):
 *
 * 1. make the directory exist and be durable (`ensureDir` with `syncExisting`: a directory a
 *    killed process created may not be durable yet, and whatever is built in it would vanish with
 *    it at the next power loss);
 * 2. take the single-writer lock (`LOCKED` when another live process holds it);
 * 3. recover;
 * 4. construct.
 *
 * If any step fails, what this open created goes again (the directories `ensureDir` made, while
 * the lock still holds them), handles `recover` opened are discarded, the lock is released, and
 * the error is rethrown: a failed open leaves the disk as it found it.
 *
 * @throws whatever the failing step threw (`LockedError` from the lock, the store's own errors
 *   from `recover`), unchanged.
 */
export async function openStore<R, S>(steps: OpenStoreSteps<R, S>): Promise<S> {
  const { fs, dir } = steps
  const created = await ensureDir(fs, dir, { syncExisting: true })
  let lock: DirLock | undefined
  let recovered: { value: R } | undefined
  try {
    lock = await acquireLock(fs, dir, steps.lock)
    recovered = { value: await steps.recover(lock) }
    return await steps.construct(recovered.value, lock)
  } catch (err) {
    if (recovered !== undefined) await steps.discard?.(recovered.value).catch(() => undefined)
    await undoFailedOpen(fs, created, lock)
    throw err
  }
}

/** How a {@link StoreState} builds its errors; each defaults to the shared class of `@quire/errors`. */
export interface StoreErrors {
  /** `CLOSED`: an operation after `close()` was called. */
  closed?(): Error
  /** `READ_ONLY`: a write on a store opened `readOnly`; `what` names the call (`'Wal.append'`). */
  readOnly?(what: string): Error
}

/**
 * The state every store shares, written once: open → closing/closed, read-only or not, and the
 * {@link Poison} its writers share.
 *
 * - `close()` runs the store's `onClose` once; every later call returns the same promise (close is
 *   idempotent), and `closed` is true from the first call on, so operations issued while the store
 *   closes are refused.
 * - `[Symbol.asyncDispose]` is `close()`, so `await using store = await Store.open(...)` works.
 * - `assertOpen()` / `assertWritable(what)` are the guards at the top of every public method.
 * - `poison(cause)` keeps the first cause.
 *
 * A store holds one in a `#state` field and forwards `close` and `Symbol.asyncDispose` to it.
 */
export class StoreState implements AsyncDisposable {
  readonly poison: Poison
  readonly readOnly: boolean
  readonly #onClose: () => Promise<void>
  readonly #errors: StoreErrors
  #closed = false
  #closing: Promise<void> | undefined

  /**
   * @param options.onClose - waits for queued work, makes it durable, closes handles, releases the
   *   lock. Runs once. Its rejection is what `close()` rejects with (every time).
   * @param options.poison - the store's poison (default: a new one with `PoisonedError`).
   * @param options.readOnly - the store was opened `readOnly`: `assertWritable` refuses.
   */
  constructor(options: { onClose: () => Promise<void>; poison?: Poison; readOnly?: boolean; errors?: StoreErrors }) {
    this.#onClose = options.onClose
    this.poison = options.poison ?? new Poison()
    this.readOnly = options.readOnly ?? false
    this.#errors = options.errors ?? {}
  }

  /** True from the first `close()` call on. */
  get closed(): boolean {
    return this.#closed
  }

  /** Throws `CLOSED` once `close()` was called. */
  assertOpen(): void {
    if (this.#closed) throw this.#closedError()
  }

  /** Throws `CLOSED`, then `READ_ONLY`, then the poison error, whichever applies first. */
  assertWritable(what: string): void {
    if (this.#closed) throw this.#closedError()
    if (this.readOnly) throw this.#errors.readOnly?.(what) ?? new ReadOnlyError(`${what}: the store was opened readOnly`)
    this.poison.check()
  }

  /** Runs `onClose` once; idempotent (every call returns the first call's promise). */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      // Closed before onClose starts: what it waits for must not see new work arrive.
      this.#closed = true
      this.#closing = (async () => this.#onClose())()
    }
    return this.#closing
  }

  /** The same as `close()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #closedError(): Error {
    return this.#errors.closed?.() ?? new ClosedError()
  }
}
