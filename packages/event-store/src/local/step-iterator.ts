import type { RecordedEvent } from '../types.js'

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true })

/**
 * An async iterator over events already in memory. Hand-written rather than an `async function*`
 * because `readAll` catch-up must reach millions of events per second: a generator costs
 * several promise hops per event, this costs one already-resolved promise.
 *
 * `start` runs on the first `next()` (so reads see the store as it is when first pulled) and
 * returns the function that yields each next event, or `undefined` at the end. A `start` or
 * `step` that throws rejects that `next()`; after the end, or `return()`, it stays done.
 */
export class StepIterator implements AsyncIterableIterator<RecordedEvent> {
  #start: (() => () => RecordedEvent | undefined) | undefined
  #step: (() => RecordedEvent | undefined) | undefined
  #done = false

  constructor(start: () => () => RecordedEvent | undefined) {
    this.#start = start
  }

  next(): Promise<IteratorResult<RecordedEvent, undefined>> {
    if (this.#done) return Promise.resolve(DONE)
    try {
      if (this.#step === undefined) {
        const start = this.#start!
        this.#start = undefined
        this.#step = start()
      }
      const value = this.#step()
      if (value === undefined) {
        this.#done = true
        return Promise.resolve(DONE)
      }
      return Promise.resolve({ value, done: false })
    } catch (err) {
      this.#done = true
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  return(): Promise<IteratorResult<RecordedEvent, undefined>> {
    this.#done = true
    return Promise.resolve(DONE)
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}

/** An iterable whose every iteration is a fresh {@link StepIterator} over `start`. */
export function stepIterable(start: () => () => RecordedEvent | undefined): AsyncIterable<RecordedEvent> {
  return { [Symbol.asyncIterator]: () => new StepIterator(start) }
}
