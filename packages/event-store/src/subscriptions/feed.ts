import type { DriverFilter, EventStoreDriver } from '../driver.js'
import { EventStoreCorruptError, StreamDeletedError, StreamNotFoundError } from '../errors.js'
import type { AllFilter, RecordedEvent } from '../types.js'
import { SUBSCRIPTION_PAGE_EVENTS } from './limits.js'

/** One keyset read of a feed. */
export interface Page {
  readonly events: readonly RecordedEvent[]
  /** The read returned a whole page: more may be waiting, read again before waiting. */
  readonly full: boolean
}

/**
 * A cursor over the log that reads forward in pages (keyset reads: "after the last thing I
 * saw"), never by offset, so nothing appended meanwhile can shift it. Shared by subscriptions,
 * durable subscriptions and async projections.
 */
export interface Feed {
  /** Reads the next page after the cursor and moves the cursor past it. */
  read(): Promise<Page>
  /**
   * The `$all` position to wait after for anything new: every event at or below it was read.
   * `undefined` before the first read of an empty store.
   */
  readonly waitAfter: bigint | undefined
  /** The last `$all` position this feed read or scanned past (`undefined` when none). */
  readonly scanned: bigint | undefined
}

/** The drivers' part a feed uses. */
export type FeedDriver = Pick<EventStoreDriver, 'readAll' | 'readStream' | 'headPosition' | 'streamInfo'>

const max = (a: bigint | undefined, b: bigint | undefined): bigint | undefined =>
  a === undefined ? b : b === undefined ? a : a > b ? a : b

async function collect(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const e of events) out.push(e)
  return out
}

/**
 * `$all` after an exclusive position, optionally filtered.
 *
 * Why it cannot skip: the head is read *before* each page. Every event at or below that head is
 * committed and readable (the driver contract of `headPosition`), so a page shorter than asked
 * holds every matching event up to the head, and the cursor may move to the head. A full page
 * moves the cursor only to its last event. Why it cannot repeat: the next read starts after the
 * cursor, and the driver never shows an event below a position it already showed.
 */
export class AllFeed implements Feed {
  readonly #driver: FeedDriver
  readonly #filter: DriverFilter | undefined
  readonly #pageSize: number
  /** Exclusive cursor; `undefined` = before the first event. */
  #cursor: bigint | undefined
  #waitAfter: bigint | undefined

  /** `after`: exclusive start (`undefined`: from the first event). */
  constructor(driver: FeedDriver, after: bigint | undefined, filter?: AllFilter, pageSize = SUBSCRIPTION_PAGE_EVENTS) {
    this.#driver = driver
    this.#cursor = after
    this.#waitAfter = after
    this.#filter = filter
    this.#pageSize = pageSize
  }

  get waitAfter(): bigint | undefined {
    return this.#waitAfter
  }

  get scanned(): bigint | undefined {
    return this.#cursor
  }

  async read(): Promise<Page> {
    const head = await this.#driver.headPosition()
    const from = this.#cursor === undefined ? 0n : this.#cursor + 1n
    const events = await collect(this.#driver.readAll(from, 'forwards', this.#pageSize, this.#filter))
    let last = this.#cursor
    for (const e of events) {
      // The keyset rule depends on strictly rising positions; a driver that breaks it would
      // make this feed skip or repeat, so it is refused loudly.
      if (last !== undefined && e.position <= last) {
        throw new EventStoreCorruptError(`readAll returned position ${e.position} after ${last}`)
      }
      last = e.position
    }
    const full = events.length >= this.#pageSize
    this.#cursor = full ? last : max(last, head)
    this.#waitAfter = max(this.#cursor, head)
    return { events, full }
  }
}

/**
 * One stream after an exclusive revision. Retention that hides a prefix of the stream (soft
 * delete, `truncateBefore`) moves the start past the hidden events, as `readStream` would;
 * events appended later are all delivered. A stream that does not exist yet is an empty page;
 * a tombstoned one fails with `STREAM_DELETED`.
 */
export class StreamFeed implements Feed {
  readonly #driver: FeedDriver
  readonly #streamName: string
  readonly #pageSize: number
  /** Exclusive revision cursor; `-1` = before the first event. */
  #cursor: number
  #waitAfter: bigint | undefined
  #scanned: bigint | undefined

  constructor(driver: FeedDriver, streamName: string, afterRevision: number, pageSize = SUBSCRIPTION_PAGE_EVENTS) {
    this.#driver = driver
    this.#streamName = streamName
    this.#cursor = afterRevision
    this.#pageSize = pageSize
  }

  get waitAfter(): bigint | undefined {
    return this.#waitAfter
  }

  get scanned(): bigint | undefined {
    return this.#scanned
  }

  async read(): Promise<Page> {
    const head = await this.#driver.headPosition()
    const info = await this.#driver.streamInfo(this.#streamName)
    if (info?.tombstoned === true) throw new StreamDeletedError(this.#streamName)
    const floor = Math.max(info?.deletedBefore ?? 0, info?.metadata?.truncateBefore ?? 0)
    const from = Math.max(this.#cursor + 1, floor)
    let events: RecordedEvent[] = []
    if (info !== undefined && info.lastRevision >= from) {
      try {
        events = await collect(this.#driver.readStream(this.#streamName, from, 'forwards', this.#pageSize))
      } catch (error) {
        if (!(error instanceof StreamNotFoundError)) throw error
      }
    }
    let last = from - 1
    for (const e of events) {
      if (e.revision <= last) throw new EventStoreCorruptError(`readStream returned revision ${e.revision} after ${last}`)
      last = e.revision
    }
    const lastEvent = events.at(-1)
    if (lastEvent !== undefined) {
      this.#cursor = lastEvent.revision
      this.#scanned = max(this.#scanned, lastEvent.position)
    }
    const full = events.length >= this.#pageSize
    if (!full) this.#scanned = max(this.#scanned, head)
    this.#waitAfter = max(this.#scanned, head)
    return { events, full }
  }
}
