import { SubscriptionDroppedError } from '../errors.js'
import type { RecordedEvent } from '../types.js'
import type { AppendWaker } from './append-waker.js'
import type { Feed } from './feed.js'

/** Where a subscription stands when it reports `caughtUp` or `fellBehind`. */
export interface SubscriptionPosition {
  /** The last `$all` position read or scanned past; `0n` on an empty store. */
  readonly position: bigint
}

/** A listener of {@link Subscription.on}. */
export type SubscriptionListener = (at: SubscriptionPosition) => void

/**
 * A catch-up subscription, after KurrentDB's (`subscribeToAll` / `subscribeToStream`): it reads
 * the events already in the log, reports `caughtUp`, then delivers new ones as they are
 * committed, for as long as it is iterated.
 *
 * - Every committed event (that passes the filter) exactly once, in position order, only after
 *   it is durable: the subscription is a sequence of keyset reads of the log, woken by the
 *   store's shared append waker; it never delivers from memory an event the log has not
 *   acknowledged.
 * - Bounded: at most {@link SUBSCRIPTION_PAGE_EVENTS} events are held; the next page is read
 *   only when the consumer has taken the previous one. A consumer that falls more than a page
 *   behind the head gets `fellBehind`, then `caughtUp` again once it has read to the head.
 * - Ends cleanly (`done`) after {@link Subscription.unsubscribe} or `break` out of `for await`.
 *   Any failure (the store closed, a read failed, a tombstoned stream, a listener threw) ends it
 *   with one {@link SubscriptionDroppedError} (`SUBSCRIPTION_DROPPED`) whose `cause` is the
 *   failure; iteration after that is `done`.
 *
 * One consumer per subscription: concurrent `next()` calls are served one after the other.
 */
export class Subscription implements AsyncIterable<RecordedEvent>, AsyncIterator<RecordedEvent> {
  readonly #feed: Feed
  readonly #waker: AppendWaker
  readonly #onEnd: (sub: Subscription) => void
  readonly #abort = new AbortController()
  readonly #listeners = { caughtUp: new Set<SubscriptionListener>(), fellBehind: new Set<SubscriptionListener>() }
  #buffer: readonly RecordedEvent[] = []
  #index = 0
  /** The last page was short: everything up to the head was read; wait before reading again. */
  #atHead = false
  #live = false
  #ended = false
  #error: SubscriptionDroppedError | undefined
  #errorThrown = false
  #queue: Promise<unknown> = Promise.resolve()
  readonly #ready: Promise<void>

  /**
   * @internal Built by the store (`subscribeToAll`, `subscribeToStream`).
   * `ready` settles once the start position is known (the head, for `'end'`).
   */
  constructor(feed: Feed, waker: AppendWaker, onEnd: (sub: Subscription) => void, ready: Promise<void> = Promise.resolve()) {
    this.#feed = feed
    this.#waker = waker
    this.#onEnd = onEnd
    this.#ready = ready
    // A start that fails is reported by the first next(); never an unhandled rejection.
    ready.catch(() => undefined)
  }

  /** True once the subscription ended (unsubscribed, dropped, or the store closed). */
  get ended(): boolean {
    return this.#ended
  }

  /**
   * `caughtUp`: every event committed before this moment has been delivered (emitted when the
   * consumer asks for the next event and none is left, before waiting; again after each
   * `fellBehind`). `fellBehind`: after being caught up, a read found a full page waiting.
   * Listeners run synchronously inside the consumer's `next()`; one that throws drops the
   * subscription with its error as `cause`.
   */
  on(event: 'caughtUp' | 'fellBehind', listener: SubscriptionListener): this {
    this.#listeners[event].add(listener)
    return this
  }

  /** Removes a listener added with {@link Subscription.on}. */
  off(event: 'caughtUp' | 'fellBehind', listener: SubscriptionListener): this {
    this.#listeners[event].delete(listener)
    return this
  }

  /** A subscription is its own async iterator: `for await (const e of sub)`. */
  [Symbol.asyncIterator](): this {
    return this
  }

  /** The next event; waits for one when caught up. */
  next(): Promise<IteratorResult<RecordedEvent>> {
    const result = this.#queue.then(() => this.#pull())
    this.#queue = result.catch(() => undefined)
    return result
  }

  /** Called by `break` / `return` in `for await`: unsubscribes. */
  async return(): Promise<IteratorResult<RecordedEvent>> {
    await this.unsubscribe()
    return { done: true, value: undefined }
  }

  /**
   * Ends the subscription: a pending `next()` resolves `done`, the wait on the store is
   * released. Idempotent. Resolves once no read of this subscription is still running.
   */
  async unsubscribe(): Promise<void> {
    this.#end(undefined)
    await this.#queue
  }

  /** @internal Ends the subscription with `SUBSCRIPTION_DROPPED` carrying `cause`. */
  drop(cause: unknown, message = 'subscription dropped'): void {
    this.#end(cause instanceof SubscriptionDroppedError ? cause : new SubscriptionDroppedError(message, { cause }))
  }

  #end(error: SubscriptionDroppedError | undefined): void {
    if (this.#ended) return
    this.#ended = true
    this.#error = error
    this.#buffer = []
    this.#abort.abort()
    this.#onEnd(this)
  }

  #finish(): IteratorResult<RecordedEvent> {
    if (this.#error !== undefined && !this.#errorThrown) {
      this.#errorThrown = true
      throw this.#error
    }
    return { done: true, value: undefined }
  }

  #emit(event: 'caughtUp' | 'fellBehind'): void {
    const at = { position: this.#feed.scanned ?? 0n }
    for (const listener of this.#listeners[event]) listener(at)
  }

  async #pull(): Promise<IteratorResult<RecordedEvent>> {
    try {
      const event = await this.#nextEvent()
      if (event !== undefined) return { done: false, value: event }
    } catch (error) {
      if (!this.#ended) this.drop(error, `subscription dropped: ${error instanceof Error ? error.message : String(error)}`)
    }
    return this.#finish()
  }

  /** The next event, or `undefined` once the subscription ended. */
  async #nextEvent(): Promise<RecordedEvent | undefined> {
    await this.#ready
    for (;;) {
      if (this.#ended) return undefined
      const next = this.#buffer[this.#index]
      if (next !== undefined) {
        this.#index += 1
        return next
      }
      if (this.#atHead) {
        if (!this.#live) {
          this.#live = true
          this.#emit('caughtUp')
        }
        await this.#waker.wait(this.#feed.waitAfter, this.#abort.signal)
        if (this.#ended) return undefined
      }
      const page = await this.#feed.read()
      if (this.#ended) return undefined
      if (page.full && this.#live) {
        this.#live = false
        this.#emit('fellBehind')
      }
      this.#atHead = !page.full
      this.#buffer = page.events
      this.#index = 0
    }
  }
}
