import { SubscriptionDroppedError } from '../errors.js'
import type { RecordedEvent } from '../types.js'
import { AllFeed, type FeedDriver } from '../subscriptions/feed.js'
import type { HubMember } from '../subscriptions/hub.js'
import { INLINE_PROJECTION_DEFAULT_PERSIST_EVENTS } from '../subscriptions/limits.js'
import type { EveryPolicy } from '../subscriptions/options.js'
import type { Projection } from './definition.js'
import { applyEvents, emptyFold, type Fold } from './fold.js'
import type { ProjectionHandle } from './handle.js'
import { loadProgress, saveProgress, type ProjectionSnapshotDriver } from './projection-snapshot.js'

/** What an inline projection needs of a driver. */
export type InlineDriver = FeedDriver & ProjectionSnapshotDriver

/** Commits that arrived while a fold was being caught up from the log. */
interface CatchUp {
  readonly commits: (readonly RecordedEvent[])[]
}

/**
 * An inline projection: evolved by the commit hook with each acknowledged commit, after it is
 * durable and before its append resolves (the seed's `LiveProjection`, "notified after
 * persist"), in acknowledgment order. Its state is a cache: on start it is rebuilt from the
 * last saved snapshot plus the log after it.
 *
 * Hand-over between reading the log and the hook: while a fold is caught up from the log
 * (start, rebuild), the hook queues commits for it; when the read reaches the head, the queue
 * is applied with {@link applyEvents}'s rule (skip what the read already applied) and the fold
 * goes live in the same synchronous step, so no commit falls between the two.
 */
export class InlineProjection<State> implements ProjectionHandle<State>, HubMember {
  readonly mode = 'inline'
  readonly #projection: Projection<State>
  readonly #driver: InlineDriver
  readonly #every: EveryPolicy
  readonly #onEnd: () => void
  readonly #catchUps = new Set<CatchUp>()
  #live: Fold<State> | undefined
  #error: unknown
  #running = true
  #rebuilding: Promise<void> | undefined
  #lastPersistError: unknown
  #saving: Promise<void> | undefined
  #saveAgain = false
  #savedPosition: bigint | undefined
  #sinceSave = 0
  #lastSaveMs = Date.now()

  /** @internal Registered with the commit hook by `ProjectionHost` before `start`. */
  constructor(projection: Projection<State>, driver: InlineDriver, onEnd: () => void) {
    this.#projection = projection
    this.#driver = driver
    this.#onEnd = onEnd
    this.#every = projection.persist?.every ?? { events: INLINE_PROJECTION_DEFAULT_PERSIST_EVENTS }
  }

  get name(): string {
    return this.#projection.name
  }

  get state(): State {
    if (this.#live === undefined) throw new Error('inline projection used before it started')
    return this.#live.state
  }

  get position(): bigint | undefined {
    return this.#live?.position
  }

  get error(): unknown {
    return this.#error
  }

  get lastPersistError(): unknown {
    return this.#lastPersistError
  }

  get running(): boolean {
    return this.#running
  }

  /** @internal Loads the last snapshot, reads the log after it, goes live. */
  async start(): Promise<void> {
    const catchUp: CatchUp = { commits: [] }
    this.#catchUps.add(catchUp)
    try {
      const progress = await loadProgress(this.#driver, this.#projection)
      const fold: Fold<State> =
        progress === undefined
          ? emptyFold(this.#projection)
          : { state: progress.state, position: progress.position, eventId: progress.eventId, scanned: progress.position }
      this.#savedPosition = progress?.position
      await this.#catchUp(fold, catchUp)
      this.#live = fold
    } catch (error) {
      this.#fail(error)
      throw error
    } finally {
      this.#catchUps.delete(catchUp)
    }
  }

  /**
   * @internal The commit hook: the events of one acknowledged commit, in position order. Must
   * be called in acknowledgment order. Never throws: an `evolve` that throws stops this
   * projection (see {@link InlineProjection.error}), the commit stays durable.
   */
  applyCommit(events: readonly RecordedEvent[]): void {
    if (!this.#running) return
    for (const c of this.#catchUps) c.commits.push(events)
    const live = this.#live
    if (live === undefined) return
    let applied: number
    try {
      applied = applyEvents(this.#projection, live, events)
    } catch (error) {
      this.#fail(error)
      return
    }
    this.#sinceSave += applied
    if (applied > 0 && this.#due()) this.#scheduleSave()
  }

  async catchUp(): Promise<void> {
    if (!this.#running) throw this.#dropped()
  }

  rebuild(): Promise<void> {
    if (!this.#running) return Promise.reject(this.#dropped())
    this.#rebuilding ??= this.#rebuild().finally(() => {
      this.#rebuilding = undefined
    })
    return this.#rebuilding
  }

  async stop(): Promise<void> {
    if (this.#running) {
      this.#running = false
      this.#onEnd()
    }
    await this.#flush()
  }

  closeForStore(): Promise<void> {
    return this.stop()
  }

  async #rebuild(): Promise<void> {
    const catchUp: CatchUp = { commits: [] }
    this.#catchUps.add(catchUp)
    try {
      const fold = emptyFold(this.#projection)
      await this.#catchUp(fold, catchUp)
      if (!this.#running) return
      this.#live = fold
      this.#sinceSave = 0
      this.#scheduleSave()
    } catch (error) {
      this.#fail(error)
      throw error
    } finally {
      this.#catchUps.delete(catchUp)
    }
  }

  /**
   * Reads the log after `fold.scanned` up to the head as it is now, then applies what the hook
   * queued. Reading stops at that head, not at "no more events": every commit acknowledged after
   * `catchUp` was registered is in its queue, so a stream of appends faster than the read cannot
   * keep it from finishing.
   */
  async #catchUp(fold: Fold<State>, catchUp: CatchUp): Promise<void> {
    const target = await this.#driver.headPosition()
    const feed = new AllFeed(this.#driver, fold.scanned, this.#projection.filter)
    while (target !== undefined && (fold.scanned === undefined || fold.scanned < target)) {
      const page = await feed.read()
      applyEvents(this.#projection, fold, page.events)
      // Every event up to the feed's cursor was read (filtered ones included).
      if (feed.scanned !== undefined && (fold.scanned === undefined || feed.scanned > fold.scanned)) fold.scanned = feed.scanned
      if (!page.full) break
    }
    // No await from here until the caller makes the fold live.
    for (const commit of catchUp.commits) applyEvents(this.#projection, fold, commit)
  }

  #due(): boolean {
    if (this.#every.events !== undefined && this.#sinceSave >= this.#every.events) return true
    return this.#every.ms !== undefined && Date.now() - this.#lastSaveMs >= this.#every.ms
  }

  /** Saves off the append's path; one save at a time, the latest state wins. */
  #scheduleSave(): void {
    if (this.#saving !== undefined) {
      this.#saveAgain = true
      return
    }
    const live = this.#live
    if (live?.position === undefined || live.eventId === undefined || live.position === this.#savedPosition) return
    const position = live.position
    this.#sinceSave = 0
    this.#lastSaveMs = Date.now()
    this.#saving = saveProgress(this.#driver, this.#projection, { state: live.state, position, eventId: live.eventId })
      .then(
        () => {
          this.#savedPosition = position
        },
        (error: unknown) => {
          this.#lastPersistError = error
        },
      )
      .finally(() => {
        this.#saving = undefined
        if (this.#saveAgain) {
          this.#saveAgain = false
          this.#scheduleSave()
        }
      })
  }

  async #flush(): Promise<void> {
    await this.#idle()
    this.#scheduleSave()
    await this.#idle()
  }

  async #idle(): Promise<void> {
    for (let saving = this.#saving; saving !== undefined; saving = this.#saving) await saving
  }

  #fail(error: unknown): void {
    if (!this.#running) return
    this.#error = error
    this.#running = false
    this.#onEnd()
  }

  #dropped(): SubscriptionDroppedError {
    return new SubscriptionDroppedError(`projection ${JSON.stringify(this.name)} is not running`, { cause: this.#error })
  }
}
