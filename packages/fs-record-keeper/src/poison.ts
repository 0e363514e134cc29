/**
 * A store's poison state: after a failed write or sync, what the disk holds is no longer known,
 * so every later write is refused (`POISONED`, naming the first failure as its cause) until the
 * store is reopened.
 */
export class Poison {
  #poisoned = false
  #cause: unknown = undefined

  /** True once a write or sync failed. */
  get poisoned(): boolean {
    return this.#poisoned
  }

  /** The first failure (`undefined` while not poisoned). */
  get cause(): unknown {
    return this.#cause
  }

  /** Poisons the store; only the first cause is kept. */
  poison(err: unknown): void {
    if (this.#poisoned) return
    this.#poisoned = true
    this.#cause = err
  }
}
