import { AggregateLoader, type AggregateStreamOptions, type AggregateStreamResult } from './aggregate/aggregate-stream.js'
import { storeInternals, type EventStore, type StoreInternals } from './event-store.js'
import type { ProjectOptions } from './projections/host.js'
import { ProjectionHost } from './projections/host.js'
import type { Projection } from './projections/definition.js'
import type { ProjectionHandle } from './projections/handle.js'
import { DurableSubscriptions, type DurableHandler, type DurableSubscribeOptions, type DurableSubscription } from './subscriptions/durable.js'
import { SubscriptionHub, type SubscribeToAllOptions, type SubscribeToStreamOptions } from './subscriptions/hub.js'
import type { Subscription } from './subscriptions/subscription.js'
import type { Checkpoint, RecordedEvent } from './types.js'

/**
 * Everything a store derives from its log, in one place per open store: subscriptions (one
 * shared wake-up), durable subscriptions, projections, aggregates. Created on first use through
 * {@link readSideOf}; it hooks into the store's commit listener (inline projections) and close
 * (everything stops, flushes its checkpoint or snapshot, before the driver closes).
 * The `EventStore` methods of the same names delegate here.
 */
export class ReadSide {
  readonly #internals: StoreInternals
  readonly #hub: SubscriptionHub
  readonly #durable: DurableSubscriptions
  readonly #projections: ProjectionHost
  readonly #aggregates: AggregateLoader

  constructor(store: EventStore) {
    const internals = storeInternals(store)
    const driver = internals.driver
    this.#internals = internals
    this.#hub = new SubscriptionHub(driver)
    this.#durable = new DurableSubscriptions(driver, this.#hub)
    this.#projections = new ProjectionHost(driver, this.#hub)
    this.#aggregates = new AggregateLoader({
      readStream: (name, options) => store.readStream(name, options),
      loadSnapshot: (key) => driver.loadSnapshot(key),
      saveSnapshot: (key, snapshot) => driver.saveSnapshot(key, snapshot),
    })
    internals.onCommitted((events) => this.#projections.applyCommit(events))
    internals.onClose(async () => {
      await this.#hub.close()
      await this.#aggregates.drain()
    })
  }

  /** See {@link SubscriptionHub.subscribeToAll}. */
  subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    this.#internals.assertOpen()
    return this.#hub.subscribeToAll(options)
  }

  /** See {@link SubscriptionHub.subscribeToStream}. */
  subscribeToStream(streamName: string, options?: SubscribeToStreamOptions): Subscription {
    this.#internals.assertOpen()
    return this.#hub.subscribeToStream(streamName, options)
  }

  /** See {@link DurableSubscriptions.subscribe}. */
  subscribe(subscriptionId: string, handler: DurableHandler, options?: DurableSubscribeOptions): Promise<DurableSubscription> {
    this.#internals.assertOpen()
    return this.#durable.subscribe(subscriptionId, handler, options)
  }

  /** See {@link DurableSubscriptions.getCheckpoint}. */
  getCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined> {
    this.#internals.assertOpen()
    return this.#durable.getCheckpoint(subscriptionId)
  }

  /** See {@link DurableSubscriptions.resetCheckpoint}. */
  resetCheckpoint(subscriptionId: string, to: Checkpoint | 'start'): Promise<void> {
    this.#internals.assertOpen()
    return this.#durable.resetCheckpoint(subscriptionId, to)
  }

  /** See {@link ProjectionHost.project}. */
  project<State>(projection: Projection<State>, options: ProjectOptions): Promise<ProjectionHandle<State>> {
    this.#internals.assertOpen()
    return this.#projections.project(projection, options)
  }

  /** See {@link AggregateLoader.aggregateStream}. */
  aggregateStream<State, Event extends RecordedEvent = RecordedEvent>(
    streamName: string,
    options: AggregateStreamOptions<State, Event>,
  ): Promise<AggregateStreamResult<State>> {
    this.#internals.assertOpen()
    return this.#aggregates.aggregateStream(streamName, options)
  }
}

const readSides = new WeakMap<EventStore, ReadSide>()

/** The {@link ReadSide} of `store`, created on first use. */
export function readSideOf(store: EventStore): ReadSide {
  let side = readSides.get(store)
  if (side === undefined) {
    side = new ReadSide(store)
    readSides.set(store, side)
  }
  return side
}
