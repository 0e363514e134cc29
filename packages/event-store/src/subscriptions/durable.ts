import type { EventStoreDriver } from '../driver.js'
import { CheckpointMismatchError, ClosedError, InvalidArgumentError, SubscriptionDroppedError } from '../errors.js'
import type { AllFilter, Checkpoint, RecordedEvent } from '../types.js'
import { AllFeed } from './feed.js'
import type { HubMember, SubscriptionHub } from './hub.js'
import { checkEvery, type EveryPolicy } from './options.js'
import { validateFilter, validateSubscriptionId } from '../validation.js'
import type { SubscriptionListener } from './subscription.js'

/** Options of a durable subscription (`store.subscribe`). */
export interface DurableSubscribeOptions {
  /**
   * Where a subscription with no stored checkpoint starts: `'start'` (default, every event) or
   * `'end'` (events committed after this call; that place is stored as the checkpoint at once,
   * so a restart before the first event does not move it).
   */
  readonly from?: 'start' | 'end'
  /** Stream-name / event-type prefixes; system (`$`) events are never delivered. */
  readonly filter?: AllFilter
  /**
   * When the checkpoint is stored besides "on catching up" and "on stop": after this many
   * handled events, or when this many ms passed since the last store. Default: after each
   * page of at most {@link SUBSCRIPTION_PAGE_EVENTS} handled events.
   */
  readonly checkpointEvery?: EveryPolicy
}

/** A handler of a durable subscription. It should be idempotent: delivery is at-least-once. */
export type DurableHandler = (event: RecordedEvent) => void | Promise<void>

/** What the durable side needs of a driver. */
export type DurableDriver = Pick<EventStoreDriver, 'loadCheckpoint' | 'storeCheckpoint' | 'eventAt' | 'headPosition'>

/**
 * A running durable subscription. It delivers every event after its checkpoint to the
 * handler, one at a time, in position order, and stores `{ position, eventId }` of the last
 * handled event as it goes (at-least-once: after a crash the events since the last stored
 * checkpoint are delivered again; handlers dedupe by `event.id`).
 */
export interface DurableSubscription {
  readonly subscriptionId: string
  /** Position of the last event the handler finished; `undefined` before the first. */
  readonly position: bigint | undefined
  /** The checkpoint last made durable, `undefined` when none is stored. */
  readonly checkpoint: Checkpoint | undefined
  /**
   * Settles when the subscription ends: resolves after {@link DurableSubscription.stop};
   * rejects with `SUBSCRIPTION_DROPPED` (its `cause`: the handler's error, a read or checkpoint
   * failure, or `CLOSED` when the store closed). Observing it is optional: a rejection that
   * nobody awaits is not reported as unhandled.
   */
  readonly done: Promise<void>
  /** `caughtUp`: every event committed so far was handled; `fellBehind`: a full page waits. */
  on(event: 'caughtUp' | 'fellBehind', listener: SubscriptionListener): this
  /** Stops after the event in progress, stores the checkpoint, resolves. Idempotent. */
  stop(): Promise<void>
}

const sameCheckpoint = (a: Checkpoint | undefined, b: Checkpoint | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.position === b.position && a.eventId === b.eventId)

/**
 * Checks that `checkpoint` names an event of the log as it is now.
 * @throws CheckpointMismatchError (`CHECKPOINT_MISMATCH`) when its position is beyond the
 *   log's end, names no event, or an event with another id.
 */
export async function verifyCheckpoint(driver: DurableDriver, subscriptionId: string, checkpoint: Checkpoint): Promise<void> {
  const head = await driver.headPosition()
  if (head === undefined || checkpoint.position > head) {
    throw new CheckpointMismatchError(subscriptionId, checkpoint, `is beyond the end of the log (last position ${head ?? 'none'})`)
  }
  const event = await driver.eventAt(checkpoint.position)
  if (event === undefined) throw new CheckpointMismatchError(subscriptionId, checkpoint, 'names no event in the log')
  if (event.id !== checkpoint.eventId) {
    throw new CheckpointMismatchError(subscriptionId, checkpoint, `but the log has event ${event.id} there`)
  }
}

function checkCheckpoint(value: unknown): Checkpoint {
  const cp = value as Checkpoint
  if (typeof value !== 'object' || value === null || typeof cp.position !== 'bigint' || cp.position < 0n || typeof cp.eventId !== 'string') {
    throw new InvalidArgumentError("checkpoint must be { position: bigint, eventId: string } or 'start'")
  }
  return { position: cp.position, eventId: cp.eventId.toLowerCase() }
}

/**
 * The store's durable named subscriptions (KurrentDB's catch-up subscription with a
 * client-kept checkpoint, made durable by the store; Emmett's processors keep theirs the same
 * way). One per store, next to its {@link SubscriptionHub}.
 */
export class DurableSubscriptions {
  readonly #driver: DurableDriver
  readonly #hub: SubscriptionHub
  readonly #running = new Map<string, DurableRunner>()

  constructor(driver: DurableDriver, hub: SubscriptionHub) {
    this.#driver = driver
    this.#hub = hub
  }

  /**
   * Starts the durable subscription `subscriptionId`: resumes after its stored checkpoint
   * (verified first), or starts where `options.from` says. Resolves once it runs.
   * @throws InvalidArgumentError bad id/options, or this id already runs in this store.
   * @throws CheckpointMismatchError the stored checkpoint does not match the log (never a
   *   silent skip; `resetCheckpoint` to go on).
   * @throws ClosedError the store is closed.
   */
  async subscribe(subscriptionId: string, handler: DurableHandler, options: DurableSubscribeOptions = {}): Promise<DurableSubscription> {
    const id = validateSubscriptionId(subscriptionId)
    if (typeof handler !== 'function') throw new InvalidArgumentError('handler must be a function')
    const from = options.from ?? 'start'
    if (from !== 'start' && from !== 'end') throw new InvalidArgumentError("from must be 'start' or 'end'")
    const filter = validateFilter(options.filter)
    const every = checkEvery('checkpointEvery', options.checkpointEvery)
    if (this.#hub.closed) throw new ClosedError()
    if (this.#running.has(id)) throw new InvalidArgumentError(`durable subscription ${JSON.stringify(id)} is already running`)
    // Reserve the id before the first await, so two concurrent calls cannot both start.
    const runner = new DurableRunner(id, handler, this.#driver, this.#hub, filter, every, () => this.#running.delete(id))
    this.#running.set(id, runner)
    try {
      let stored = await this.#driver.loadCheckpoint(id)
      if (stored !== undefined) {
        await verifyCheckpoint(this.#driver, id, stored)
      } else if (from === 'end') {
        const head = await this.#driver.headPosition()
        const event = head === undefined ? undefined : await this.#driver.eventAt(head)
        if (event !== undefined) {
          stored = { position: event.position, eventId: event.id }
          await this.#driver.storeCheckpoint(id, stored)
        }
      }
      runner.start(stored)
      return runner
    } catch (error) {
      this.#running.delete(id)
      throw error
    }
  }

  /** The stored checkpoint of `subscriptionId`, `undefined` when none. */
  async getCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined> {
    return this.#driver.loadCheckpoint(validateSubscriptionId(subscriptionId))
  }

  /**
   * Moves a stopped subscription's checkpoint: `'start'` deletes it (the next `subscribe`
   * starts where its `from` says, `'start'` by default); a checkpoint must name an event of
   * the log as it is now.
   * @throws InvalidArgumentError the subscription is running in this store, or a bad value.
   * @throws CheckpointMismatchError the given checkpoint does not match the log.
   */
  async resetCheckpoint(subscriptionId: string, to: Checkpoint | 'start'): Promise<void> {
    const id = validateSubscriptionId(subscriptionId)
    if (this.#running.has(id)) throw new InvalidArgumentError(`durable subscription ${JSON.stringify(id)} is running; stop it first`)
    if (to === 'start') return this.#driver.storeCheckpoint(id, undefined)
    const checkpoint = checkCheckpoint(to)
    await verifyCheckpoint(this.#driver, id, checkpoint)
    await this.#driver.storeCheckpoint(id, checkpoint)
  }
}

class DurableRunner implements DurableSubscription, HubMember {
  readonly subscriptionId: string
  readonly done: Promise<void>
  readonly #handler: DurableHandler
  readonly #driver: DurableDriver
  readonly #hub: SubscriptionHub
  readonly #filter: AllFilter | undefined
  readonly #every: EveryPolicy | undefined
  readonly #onEnd: () => void
  readonly #abort = new AbortController()
  readonly #listeners = { caughtUp: new Set<SubscriptionListener>(), fellBehind: new Set<SubscriptionListener>() }
  #resolve: () => void = () => undefined
  #reject: (error: unknown) => void = () => undefined
  #stopping: 'stop' | 'close' | undefined
  #loop: Promise<void> = Promise.resolve()
  #handled: Checkpoint | undefined
  #stored: Checkpoint | undefined
  #sinceStore = 0
  #lastStoreMs = 0

  constructor(
    id: string,
    handler: DurableHandler,
    driver: DurableDriver,
    hub: SubscriptionHub,
    filter: AllFilter | undefined,
    every: EveryPolicy | undefined,
    onEnd: () => void,
  ) {
    this.subscriptionId = id
    this.#handler = handler
    this.#driver = driver
    this.#hub = hub
    this.#filter = filter
    this.#every = every
    this.#onEnd = onEnd
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.done.catch(() => undefined)
  }

  get position(): bigint | undefined {
    return this.#handled?.position
  }

  get checkpoint(): Checkpoint | undefined {
    return this.#stored
  }

  on(event: 'caughtUp' | 'fellBehind', listener: SubscriptionListener): this {
    this.#listeners[event].add(listener)
    return this
  }

  start(checkpoint: Checkpoint | undefined): void {
    this.#handled = checkpoint
    this.#stored = checkpoint
    this.#lastStoreMs = Date.now()
    this.#hub.join(this)
    this.#loop = this.#run(new AllFeed(this.#hub.driver, checkpoint?.position, this.#filter))
  }

  async stop(): Promise<void> {
    this.#stopping ??= 'stop'
    this.#abort.abort()
    await this.#loop
  }

  async closeForStore(): Promise<void> {
    this.#stopping ??= 'close'
    this.#abort.abort()
    await this.#loop
  }

  async #store(): Promise<void> {
    if (sameCheckpoint(this.#handled, this.#stored)) return
    const checkpoint = this.#handled
    await this.#driver.storeCheckpoint(this.subscriptionId, checkpoint)
    this.#stored = checkpoint
    this.#sinceStore = 0
    this.#lastStoreMs = Date.now()
  }

  #due(): boolean {
    const every = this.#every
    if (every === undefined) return false
    if (every.events !== undefined && this.#sinceStore >= every.events) return true
    return every.ms !== undefined && Date.now() - this.#lastStoreMs >= every.ms
  }

  #emit(event: 'caughtUp' | 'fellBehind', feed: AllFeed): void {
    const at = { position: feed.scanned ?? 0n }
    for (const listener of this.#listeners[event]) listener(at)
  }

  async #run(feed: AllFeed): Promise<void> {
    let live = false
    let atHead = false
    try {
      for (;;) {
        if (this.#stopping !== undefined) break
        if (atHead) {
          await this.#store()
          if (!live) {
            live = true
            this.#emit('caughtUp', feed)
          }
          await this.#hub.waker.wait(feed.waitAfter, this.#abort.signal)
          if (this.#stopping !== undefined) break
        }
        const page = await feed.read()
        if (page.full && live) {
          live = false
          this.#emit('fellBehind', feed)
        }
        atHead = !page.full
        for (const event of page.events) {
          if (this.#stopping !== undefined) break
          try {
            await this.#handler(event)
          } catch (error) {
            // The failing event is not acknowledged: the checkpoint stays on the one before.
            await this.#store()
            throw new SubscriptionDroppedError(
              `durable subscription ${JSON.stringify(this.subscriptionId)}: handler failed at position ${event.position}`,
              { cause: error },
            )
          }
          this.#handled = { position: event.position, eventId: event.id }
          this.#sinceStore += 1
          if (this.#due()) await this.#store()
        }
        if (this.#every === undefined) await this.#store()
      }
      await this.#store()
      this.#finish(this.#stopping === 'close' ? new SubscriptionDroppedError('durable subscription ended: the store closed', { cause: new ClosedError() }) : undefined)
    } catch (error) {
      this.#finish(
        error instanceof SubscriptionDroppedError
          ? error
          : new SubscriptionDroppedError(`durable subscription ${JSON.stringify(this.subscriptionId)} dropped`, { cause: error }),
      )
    }
  }

  #finish(error: SubscriptionDroppedError | undefined): void {
    this.#hub.leave(this)
    this.#onEnd()
    if (error === undefined) this.#resolve()
    else this.#reject(error)
  }
}
