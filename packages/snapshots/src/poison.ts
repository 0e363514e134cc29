import { PoisonedError } from './errors.js'

/**
 * The store's poison state. After a failed sync (or directory sync) what the disk holds is no
 * longer known, so every later save and delete is refused until the store is reopened, naming the
 * first failure as the cause.
 */
export class Poison {
  #poisoned = false
  #cause: unknown = undefined

  /** True once a sync failed. */
  get poisoned(): boolean {
    return this.#poisoned
  }

  /** The error a save or delete gets once the store is poisoned; its cause is the first failure. */
  error(): PoisonedError {
    return new PoisonedError('an earlier sync failed; reopen the snapshot store', { cause: this.#cause })
  }

  /** Poisons the store (the first cause is kept) and returns the error of the step `what` that failed with `err`. */
  with(err: unknown, what: string): PoisonedError {
    if (!this.#poisoned) {
      this.#poisoned = true
      this.#cause = err
    }
    const errno = (err as { code?: unknown } | null | undefined)?.code
    return new PoisonedError(`${what} failed${typeof errno === 'string' ? ` (${errno})` : ''}; the snapshot store must be reopened`, { cause: err })
  }
}
