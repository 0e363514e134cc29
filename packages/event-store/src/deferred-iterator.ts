const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true })

/**
 * An async iterator whose source is found on the first `next()` (by `open`, which may await and
 * may throw: that `next()` rejects, and the iterator is done after it), then pulled from
 * directly: no generator between the reader and the source, whose promise hops per item cost
 * more than reading an event from memory (`readStream` of an aggregate: ~0.3 µs per event).
 * `open` resolving `undefined` means no items.
 */
export class DeferredIterator<T> implements AsyncIterableIterator<T> {
  #open: (() => Promise<AsyncIterator<T> | undefined>) | undefined
  #opening: Promise<AsyncIterator<T> | undefined> | undefined
  #inner: AsyncIterator<T> | undefined
  #done = false

  constructor(open: () => Promise<AsyncIterator<T> | undefined>) {
    this.#open = open
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#done) return Promise.resolve(DONE)
    if (this.#inner !== undefined) return this.#inner.next() as Promise<IteratorResult<T, undefined>>
    if (this.#opening === undefined) {
      const open = this.#open!
      this.#open = undefined
      this.#opening = open().then(
        (inner) => {
          if (inner === undefined) this.#done = true
          else this.#inner = inner
          return inner
        },
        (err: unknown) => {
          this.#done = true
          throw err
        },
      )
    }
    return this.#opening.then((inner) => (inner === undefined || this.#done ? DONE : (inner.next() as Promise<IteratorResult<T, undefined>>)))
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.#done = true
    const inner = this.#inner
    if (inner?.return !== undefined) return inner.return().then(() => DONE)
    return Promise.resolve(DONE)
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}
