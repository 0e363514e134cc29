/** A FIFO mutex: `run` calls `fn` once every earlier `run` has settled. */
export class Mutex {
  #last: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#last.then(fn, fn)
    this.#last = result.catch(() => undefined)
    return result
  }
}

/** One {@link Mutex} per key, dropped when no call for that key is waiting. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const result = previous.then(fn, fn)
    const settled = result.catch(() => undefined)
    this.#tails.set(key, settled)
    void settled.then(() => {
      if (this.#tails.get(key) === settled) this.#tails.delete(key)
    })
    return result
  }

  /** Resolves once every call started so far has settled. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values())
  }
}
