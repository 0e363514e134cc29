import type { EventStoreDriver } from '../driver.js'
import { ClosedError, InvalidArgumentError } from '../errors.js'
import type { AllFilter } from '../types.js'
import { AppendWaker } from './append-waker.js'
import { AllFeed, type Feed, StreamFeed } from './feed.js'
import { SUBSCRIPTION_PAGE_EVENTS } from './limits.js'
import { Subscription } from './subscription.js'
import { validateFilter, validateStreamName } from '../validation.js'

/**
 * Options of `subscribeToAll`. KurrentDB's names.
 */
export interface SubscribeToAllOptions {
  /**
   * Where to start, exclusive: `'start'` (default) delivers every event; `'end'` only events
   * committed after the call; a position `p` the events after `p`.
   */
  readonly fromPosition?: 'start' | 'end' | bigint
  /** Stream-name / event-type prefixes; system (`$`) events are never delivered. */
  readonly filter?: AllFilter
}

/** Options of `subscribeToStream`. */
export interface SubscribeToStreamOptions {
  /**
   * Where to start, exclusive: `'start'` (default), `'end'` (only events appended after the
   * call), or a revision `n` (the events after revision `n`).
   */
  readonly fromRevision?: 'start' | 'end' | number
}

/** What the hub needs of a driver. */
export type HubDriver = Pick<EventStoreDriver, 'readAll' | 'readStream' | 'headPosition' | 'streamInfo' | 'waitForAppend'>

/** Anything the hub ends when the store closes (durable subscriptions, async projections). */
export interface HubMember {
  /** Stops and settles; called once by {@link SubscriptionHub.close}. */
  closeForStore(): Promise<void>
}

/**
 * The read side's per-store state: the one {@link AppendWaker} that every subscription of the
 * store shares, and the set of live subscriptions, so closing the store ends them all with
 * `SUBSCRIPTION_DROPPED` (cause `CLOSED`). The facade creates one per open store.
 */
export class SubscriptionHub {
  readonly driver: HubDriver
  readonly waker: AppendWaker
  readonly #subscriptions = new Set<Subscription>()
  readonly #members = new Set<HubMember>()
  readonly #pageEvents: number
  #closed = false

  /** `pageEvents`: events per keyset read (default {@link SUBSCRIPTION_PAGE_EVENTS}; tests use small pages). */
  constructor(driver: HubDriver, options: { readonly pageEvents?: number } = {}) {
    this.driver = driver
    this.waker = new AppendWaker(driver)
    this.#pageEvents = options.pageEvents ?? SUBSCRIPTION_PAGE_EVENTS
  }

  /** True after {@link SubscriptionHub.close}. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * A catch-up subscription to `$all` (see {@link Subscription}).
   * @throws InvalidArgumentError on a bad option; ClosedError after close.
   */
  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.#checkOpen()
    const filter = validateFilter(options.filter)
    const from = options.fromPosition ?? 'start'
    if (from !== 'start' && from !== 'end' && (typeof from !== 'bigint' || from < 0n)) {
      throw new InvalidArgumentError("fromPosition must be 'start', 'end' or a bigint >= 0")
    }
    if (from !== 'end') return this.#track(new AllFeed(this.driver, from === 'start' ? undefined : from, filter, this.#pageEvents))
    // The head is asked for now, so 'end' means "after what is committed at this call".
    const head = this.driver.headPosition()
    let feed: AllFeed | undefined
    const ready = head.then((h) => {
      feed = new AllFeed(this.driver, h, filter, this.#pageEvents)
    })
    return this.#track(lazyFeed(() => feed), ready)
  }

  /**
   * A catch-up subscription to one stream (see {@link Subscription}). The stream need not exist
   * yet; a tombstoned stream drops the subscription with `STREAM_DELETED` as cause.
   * @throws InvalidArgumentError on a bad option; ClosedError after close.
   */
  subscribeToStream(streamName: string, options: SubscribeToStreamOptions = {}): Subscription {
    this.#checkOpen()
    validateStreamName(streamName, { system: true })
    const from = options.fromRevision ?? 'start'
    if (from !== 'start' && from !== 'end' && !(Number.isSafeInteger(from) && from >= 0)) {
      throw new InvalidArgumentError("fromRevision must be 'start', 'end' or an integer >= 0")
    }
    if (from !== 'end') return this.#track(new StreamFeed(this.driver, streamName, from === 'start' ? -1 : from, this.#pageEvents))
    const info = this.driver.streamInfo(streamName)
    let feed: StreamFeed | undefined
    const ready = info.then((i) => {
      feed = new StreamFeed(this.driver, streamName, i?.lastRevision ?? -1, this.#pageEvents)
    })
    return this.#track(lazyFeed(() => feed), ready)
  }

  /** @internal Registers a durable subscription or projection to be ended at close. */
  join(member: HubMember): void {
    this.#checkOpen()
    this.#members.add(member)
  }

  /** @internal */
  leave(member: HubMember): void {
    this.#members.delete(member)
  }

  /**
   * Ends every subscription with `SUBSCRIPTION_DROPPED` (cause `CLOSED`), stops durable
   * subscriptions and projections (each stores its last checkpoint or snapshot first), and
   * releases the shared wake-up. Call before closing the driver. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const sub of [...this.#subscriptions]) sub.drop(new ClosedError(), 'subscription dropped: the store closed')
    const members = [...this.#members]
    this.#members.clear()
    // Wake waiting loops first so they can see the close and flush.
    this.waker.close()
    await Promise.allSettled(members.map((m) => m.closeForStore()))
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError()
  }

  #track(feed: Feed, ready?: Promise<void>): Subscription {
    const sub = new Subscription(feed, this.waker, (s) => this.#subscriptions.delete(s), ready)
    this.#subscriptions.add(sub)
    return sub
  }
}

/** A feed whose start is known only once `ready` settled (`'end'`). */
function lazyFeed(get: () => Feed | undefined): Feed {
  const need = (): Feed => {
    const f = get()
    if (f === undefined) throw new Error('feed used before its start was known')
    return f
  }
  return {
    read: () => need().read(),
    get waitAfter() {
      return get()?.waitAfter
    },
    get scanned() {
      return get()?.scanned
    },
  }
}
