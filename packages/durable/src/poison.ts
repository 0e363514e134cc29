import { PoisonedError } from '@quire/errors'

/**
 * The one "this store no longer trusts its files" flag of a store, shared by its lifecycle
 * ({@link StoreState}), its append file ({@link DurableAppendFile}) and its group commit
 * ({@link GroupCommit}), so that a failure seen by any of them stops all of them. The first cause
 * is kept: every later rejection carries the failure that started it, not the latest symptom.
 *
 * Why poison at all: after a failed `fdatasync` Linux may have dropped the dirty pages and marks
 * them clean, so a later sync succeeds without the data (the PostgreSQL "fsyncgate" finding,
 * 2018). Only a reopen, which recovers from what the disk really holds, is safe.
 */
export class Poison {
  #error: Error | undefined
  readonly #make: (cause: unknown) => Error

  /**
   * @param make - builds the error every rejection carries from the first cause (default: a
   *   `PoisonedError` of `@quire/errors`, code `POISONED`). A package passes its own subclass.
   */
  constructor(make: (cause: unknown) => Error = defaultPoisoned) {
    this.#make = make
  }

  /** The error every write rejects with, once poisoned; `undefined` while healthy. */
  get error(): Error | undefined {
    return this.#error
  }

  /** True once poisoned. */
  get poisoned(): boolean {
    return this.#error !== undefined
  }

  /** Poisons (the first call wins: its cause is kept) and returns the error to reject with. */
  poison(cause: unknown): Error {
    this.#error ??= this.#make(cause)
    return this.#error
  }

  /** Throws the poison error when poisoned. */
  check(): void {
    if (this.#error !== undefined) throw this.#error
  }
}

function defaultPoisoned(cause: unknown): Error {
  return new PoisonedError('the store is poisoned by an earlier I/O failure; close and reopen it', { cause })
}
