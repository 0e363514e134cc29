import { ClosedError, SubscriptionDroppedError } from '../errors.js'
import { AllFeed } from '../subscriptions/feed.js'
import type { HubMember, SubscriptionHub } from '../subscriptions/hub.js'
import type { Projection } from './definition.js'
import { applyEvents, emptyFold, type Fold } from './fold.js'
import type { ProjectionHandle } from './handle.js'
import type { InlineDriver } from './inline.js'
import { loadProgress, saveProgress } from './projection-snapshot.js'

interface Waiter {
  readonly target: bigint
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/**
 * An async projection: a subscription to `$all` that folds events into the state and saves
 * state and position together as ONE snapshot. There is no separate checkpoint that a crash
 * could leave ahead of or behind the state, so no event is ever applied twice to the state
 * Quire holds: after a crash it restarts from the snapshot's state at the snapshot's position
 * (what it applied after that was lost with the process's memory).
 * A saved snapshot whose event is no longer at its position (rewritten log) or of another
 * `version` is not used: the state is rebuilt from the start (it is derived data only).
 */
export class AsyncProjection<State> implements ProjectionHandle<State>, HubMember {
  readonly mode = 'async'
  readonly #projection: Projection<State>
  readonly #driver: InlineDriver
  readonly #hub: SubscriptionHub
  readonly #onEnd: () => void
  #fold: Fold<State>
  #feed: AllFeed
  #abort = new AbortController()
  #loop: Promise<void> = Promise.resolve()
  /** Set by stop() or the store's close: the loop ends for good. */
  #stopRequested: 'stop' | 'close' | undefined
  /** Set by rebuild(): the loop ends, to be restarted from the start. */
  #pausing = false
  #running = true
  #error: unknown
  #lastPersistError: unknown
  #savedPosition: bigint | undefined
  #sinceSave = 0
  #lastSaveMs = Date.now()
  #waiters: Waiter[] = []
  #rebuilding: Promise<void> | undefined

  /** @internal Built by `ProjectionHost`. */
  constructor(projection: Projection<State>, driver: InlineDriver, hub: SubscriptionHub, onEnd: () => void) {
    this.#projection = projection
    this.#driver = driver
    this.#hub = hub
    this.#onEnd = onEnd
    this.#fold = emptyFold(projection)
    this.#feed = new AllFeed(driver, undefined, projection.filter)
  }

  get name(): string {
    return this.#projection.name
  }

  get state(): State {
    return this.#fold.state
  }

  get position(): bigint | undefined {
    return this.#fold.position
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

  /** @internal Loads the last snapshot and starts the subscription after it. */
  async start(): Promise<void> {
    const progress = await loadProgress(this.#driver, this.#projection)
    if (progress !== undefined) {
      this.#fold = { state: progress.state, position: progress.position, eventId: progress.eventId, scanned: progress.position }
      this.#savedPosition = progress.position
    }
    this.#feed = new AllFeed(this.#driver, this.#fold.scanned, this.#projection.filter)
    this.#hub.join(this)
    this.#loop = this.#run()
  }

  async catchUp(): Promise<void> {
    if (!this.#running) throw this.#dropped()
    const target = await this.#driver.headPosition()
    if (target === undefined || this.#reached(target)) return
    if (!this.#running) throw this.#dropped()
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject })
    })
  }

  rebuild(): Promise<void> {
    if (!this.#running) return Promise.reject(this.#dropped())
    this.#rebuilding ??= this.#rebuild().finally(() => {
      this.#rebuilding = undefined
    })
    return this.#rebuilding
  }

  stop(): Promise<void> {
    return this.#halt('stop')
  }

  closeForStore(): Promise<void> {
    return this.#halt('close')
  }

  async #halt(reason: 'stop' | 'close'): Promise<void> {
    this.#stopRequested ??= reason
    this.#abort.abort()
    await this.#rebuilding?.catch(() => undefined)
    await this.#loop
  }

  #halting(): boolean {
    return this.#stopRequested !== undefined || this.#pausing
  }

  async #rebuild(): Promise<void> {
    this.#pausing = true
    this.#abort.abort()
    await this.#loop
    this.#pausing = false
    if (!this.#running) throw this.#dropped()
    this.#abort = new AbortController()
    if (this.#stopRequested === undefined) {
      this.#fold = emptyFold(this.#projection)
      this.#feed = new AllFeed(this.#driver, undefined, this.#projection.filter)
      this.#sinceSave = 0
    }
    // Restarted even when a stop came meanwhile: the loop then saves and ends at once.
    this.#loop = this.#run()
    if (this.#stopRequested !== undefined) {
      await this.#loop
      throw this.#dropped()
    }
    await this.catchUp()
  }

  #reached(target: bigint): boolean {
    // The fold's, not the feed's: the feed has moved past a page whose events may still be
    // being applied (a save awaited between two of them).
    const scanned = this.#fold.scanned
    return scanned !== undefined && scanned >= target
  }

  #settleWaiters(): void {
    const waiting = this.#waiters
    this.#waiters = []
    for (const w of waiting) {
      if (this.#reached(w.target)) w.resolve()
      else this.#waiters.push(w)
    }
  }

  #due(): boolean {
    const every = this.#projection.persist?.every
    if (every === undefined) return false
    if (every.events !== undefined && this.#sinceSave >= every.events) return true
    return every.ms !== undefined && Date.now() - this.#lastSaveMs >= every.ms
  }

  /** Saves state + position if they moved. A failed save is recorded, never fatal. */
  async #save(): Promise<void> {
    const { state, position, eventId } = this.#fold
    if (position === undefined || eventId === undefined || position === this.#savedPosition) return
    this.#sinceSave = 0
    this.#lastSaveMs = Date.now()
    try {
      await saveProgress(this.#driver, this.#projection, { state, position, eventId })
      this.#savedPosition = position
    } catch (error) {
      this.#lastPersistError = error
    }
  }

  async #run(): Promise<void> {
    let atHead = false
    try {
      for (;;) {
        if (this.#halting()) break
        if (atHead) {
          await this.#save()
          await this.#hub.waker.wait(this.#feed.waitAfter, this.#abort.signal)
          if (this.#halting()) break
        }
        const page = await this.#feed.read()
        for (const event of page.events) {
          if (this.#halting()) break
          this.#sinceSave += applyEvents(this.#projection, this.#fold, [event])
          if (this.#due()) await this.#save()
        }
        if (this.#halting()) break
        const scanned = this.#feed.scanned
        if (scanned !== undefined && (this.#fold.scanned === undefined || scanned > this.#fold.scanned)) this.#fold.scanned = scanned
        if (this.#projection.persist === undefined && page.events.length > 0) await this.#save()
        atHead = !page.full
        this.#settleWaiters()
      }
      if (this.#stopRequested === undefined) return // paused for a rebuild
      await this.#save()
      this.#end(this.#stopRequested === 'close' ? new ClosedError() : undefined)
    } catch (error) {
      // evolve threw (the fold is still at the event before) or a read failed.
      this.#error = error
      await this.#save()
      this.#end(error)
    }
  }

  #end(cause: unknown): void {
    this.#running = false
    this.#hub.leave(this)
    this.#onEnd()
    const dropped = new SubscriptionDroppedError(`projection ${JSON.stringify(this.name)} stopped`, { cause })
    for (const w of this.#waiters) w.reject(dropped)
    this.#waiters = []
  }

  #dropped(): SubscriptionDroppedError {
    return new SubscriptionDroppedError(`projection ${JSON.stringify(this.name)} is not running`, {
      cause: this.#error ?? (this.#hub.closed ? new ClosedError() : undefined),
    })
  }
}
