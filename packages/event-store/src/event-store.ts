import { functionOption, integerOption, optionKeys, StoreState } from '@quire/durable'
import type { DriverAppendOutcome, EventStoreBackend, EventStoreDriver } from './driver.js'
import { InvalidArgumentError, OverloadedError, StreamDeletedError, StreamNotFoundError } from './errors.js'
import { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS } from './limits.js'
import { DeferredIterator } from './deferred-iterator.js'
import { isRetained, isSoftDeleted, retentionWindow, type RetentionWindow } from './retention.js'
import type { AggregateStreamOptions, AggregateStreamResult } from './aggregate/aggregate-stream.js'
import type { Projection } from './projections/definition.js'
import type { ProjectionHandle } from './projections/handle.js'
import type { ProjectOptions } from './projections/host.js'
import { readSideOf } from './read-side.js'
import type { DurableHandler, DurableSubscribeOptions, DurableSubscription } from './subscriptions/durable.js'
import type { SubscribeToAllOptions, SubscribeToStreamOptions } from './subscriptions/hub.js'
import type { Subscription } from './subscriptions/subscription.js'
import type {
  AllFilter,
  Checkpoint,
  AppendRequest,
  AppendResult,
  Direction,
  EventData,
  ExpectedRevision,
  MultiAppendResult,
  RecordedEvent,
  StreamMetadata,
  StreamState,
} from './types.js'
import {
  checkOptions,
  prepareAppend,
  prepareMultiAppend,
  validateDirection,
  validateExpectedRevision,
  validateFilter,
  validateMaxCount,
  validateStreamMetadata,
  validateStreamName,
} from './validation.js'

/** Options of {@link EventStore.open}. */
export interface EventStoreOpenOptions {
  /** Where the events live: `walBackend(dir)`, `ndjsonBackend(path)`, `recordKeeperBackend(dir)`, `memoryBackend()`, ... */
  readonly backend: EventStoreBackend
  /** Clock for read-time retention (`maxAge`), in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number
  /**
   * Most appends and stream commands called and not yet settled (default 16 384,
   * `DEFAULT_MAX_QUEUED_OPERATIONS`; 1 .. 2^53 − 1). One more rejects at once with
   * `OverloadedError` (`OVERLOADED`), nothing written: memory stays bounded when callers outrun
   * the backend.
   */
  readonly maxQueuedOperations?: number
  /**
   * Bytes of the events of those appends (measured as for `MAX_APPEND_BYTES`) at which the next
   * append rejects at once with `OverloadedError` (default 64 MiB, `DEFAULT_MAX_QUEUED_BYTES`): at
   * most this plus one append wait.
   */
  readonly maxQueuedBytes?: number
}

/** Options of {@link EventStore.appendToStream}. */
export interface AppendOptions {
  /** Default `'any'`. Checked against committed state; see {@link ExpectedRevision}. */
  readonly expectedRevision?: ExpectedRevision
}

/** Options of {@link EventStore.readStream}. */
export interface ReadStreamOptions {
  /** Inclusive. Default `'start'` forwards, `'end'` backwards. */
  readonly fromRevision?: 'start' | 'end' | number
  /** Default `'forwards'`. */
  readonly direction?: Direction
  /** At most this many events (after retention). Default: all. */
  readonly maxCount?: number
}

/** Options of {@link EventStore.readAll}. */
export interface ReadAllOptions {
  /** Inclusive. Default `'start'` forwards, `'end'` backwards. */
  readonly fromPosition?: 'start' | 'end' | bigint
  /** Default `'forwards'`. */
  readonly direction?: Direction
  /** At most this many events (counted after `filter`). Default: all. */
  readonly maxCount?: number
  /** Events of system streams (`$…`) are left out unless `filter.includeSystem` is true. */
  readonly filter?: AllFilter
}

/** Listener of committed events, in position order; see {@link StoreInternals.onCommitted}. */
export type CommittedListener = (events: readonly RecordedEvent[]) => void

/**
 * What the store's own modules (subscriptions, projections, aggregates) reach through
 * {@link storeInternals}; not exported from the package.
 */
export interface StoreInternals {
  readonly driver: EventStoreDriver
  /** The store's clock, ms since the epoch. */
  readonly now: () => number
  /**
   * Calls `listener` with the events of every commit this store makes (appends and stream
   * commands), after the commit is durable and before the call that made it resolves, in
   * position order. A listener must not throw (a throw is caught and dropped: the commit stands)
   * and must not await. Returns the function that removes it.
   */
  onCommitted(listener: CommittedListener): () => void
  /** Runs `hook` when the store closes, before the driver closes. Returns the function that removes it. */
  onClose(hook: () => Promise<void> | void): () => void
  /** Throws `CLOSED` when the store is closed or closing. */
  assertOpen(): void
  readonly closed: boolean
}

// PostgreSQL positions are (xid8 << 16) | index: above 2^53 once a cluster passed 2^37 transactions.
const MAX_POSITION = (1n << 63n) - 1n

let internalsOf: (store: EventStore) => StoreInternals

/** The internals of `store`, for the package's own modules. */
export function storeInternals(store: EventStore): StoreInternals {
  return internalsOf(store)
}

/**
 * An event store: streams of events with optimistic concurrency, atomic multi-stream appends,
 * a global log (`$all`) that never skips, over any backend (`EventStore.open({ backend })`).
 * Names follow KurrentDB (`appendToStream`, `readStream`, `readAll`, `expectedRevision`,
 * `revision`, `position`), Emmett for the aggregate side.
 *
 * Every write resolves only when durable (under the backend's sync mode) and is atomic. Bad input
 * is refused with `INVALID_ARGUMENT` or `MAX_APPEND_SIZE_EXCEEDED` before anything is written.
 * After {@link EventStore.close}, every call rejects with `CLOSED`.
 */
export class EventStore implements AsyncDisposable {
  readonly #driver: EventStoreDriver
  readonly #now: () => number
  readonly #committedListeners = new Set<CommittedListener>()
  readonly #closeHooks = new Set<() => Promise<void> | void>()
  #lastPosition: bigint | undefined
  /** Close once (every later call gets the first call's promise), `CLOSED` from its first call on. */
  readonly #state = new StoreState({ onClose: () => this.#closeNow() })
  readonly #maxQueuedOperations: number
  readonly #maxQueuedBytes: number
  /** Appends and stream commands called and not yet settled, and the bytes of their events. */
  #queuedOps = 0
  #queuedBytes = 0

  static {
    internalsOf = (store) => store.#internals()
  }

  private constructor(
    driver: EventStoreDriver,
    now: () => number,
    lastPosition: bigint | undefined,
    limits: { readonly maxQueuedOperations: number; readonly maxQueuedBytes: number },
  ) {
    this.#driver = driver
    this.#now = now
    this.#lastPosition = lastPosition
    this.#maxQueuedOperations = limits.maxQueuedOperations
    this.#maxQueuedBytes = limits.maxQueuedBytes
  }

  /**
   * Opens (and recovers) the store behind `backend`.
   *
   * @throws `INVALID_ARGUMENT` for bad options; the backend's own errors pass through (`LOCKED`
   *   when another opener holds the store, `CORRUPT` from the log or the store's own checks).
   */
  static async open(options: EventStoreOpenOptions): Promise<EventStore> {
    OPEN_KEYS.check(options)
    // Checked as unknown: a JavaScript caller may pass anything.
    const opts = (options ?? {}) as { readonly [K in keyof EventStoreOpenOptions]?: unknown }
    const backend = opts.backend as EventStoreBackend | undefined
    if (typeof backend !== 'object' || backend === null || typeof backend.open !== 'function') {
      throw new InvalidArgumentError('EventStore.open: backend is required (walBackend(dir), memoryBackend(), ...)')
    }
    const now = functionOption<() => number>('EventStore.open: now', opts.now, Date.now)
    const limits = {
      maxQueuedOperations: integerOption('EventStore.open: maxQueuedOperations', opts.maxQueuedOperations, QUEUE_LIMIT, DEFAULT_MAX_QUEUED_OPERATIONS),
      maxQueuedBytes: integerOption('EventStore.open: maxQueuedBytes', opts.maxQueuedBytes, QUEUE_LIMIT, DEFAULT_MAX_QUEUED_BYTES),
    }
    const driver = await backend.open()
    let head: bigint | undefined
    try {
      head = await driver.headPosition()
    } catch (err) {
      await driver.close().catch(() => undefined)
      throw err
    }
    return new EventStore(driver, now, head, limits)
  }

  /** Short name of the backend, e.g. `'wal'`, `'memory'`. */
  get backendName(): string {
    return this.#driver.name
  }

  /**
   * Position of the last event this store knows of (`undefined` while the store is empty): the
   * head at open, moved by every commit made through this store.
   */
  get lastPosition(): bigint | undefined {
    return this.#lastPosition
  }

  /**
   * Appends one event or several to one stream, atomically, if the stream's state matches
   * `expectedRevision` (default `'any'`). Resolves when every event is durable.
   *
   * Idempotency: event ids are unique store-wide. Retrying exactly the same append (the same
   * ids, in the same order, with `'any'` or the same expectation) returns the original result
   * with `idempotentReplay: true` and writes nothing; any other reuse of an id is
   * `DUPLICATE_EVENT_ID`.
   *
   * @throws `WRONG_EXPECTED_VERSION` ({@link WrongExpectedVersionError}), `DUPLICATE_EVENT_ID`,
   *   `STREAM_DELETED` (tombstoned), `INVALID_ARGUMENT`, `MAX_APPEND_SIZE_EXCEEDED`: nothing was
   *   written. `APPEND_FAILED`: outcome unknown (retry with the same ids after reopen).
   *   `POISONED`, `CLOSED`.
   */
  async appendToStream(
    streamName: string,
    events: EventData | readonly EventData[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    this.#assertOpen()
    this.#assertRoom()
    const measured = { bytes: 0 }
    const request = prepareAppend(streamName, events, options, measured)
    const bytes = measured.bytes
    // Counted in place rather than through #queued: one promise less on the hottest call.
    this.#queuedOps++
    this.#queuedBytes += bytes
    let outcome: DriverAppendOutcome
    try {
      outcome = await this.#driver.append([request])
    } finally {
      this.#queuedOps--
      this.#queuedBytes -= bytes
    }
    this.#committed(outcome)
    return outcome.results[0]!
  }

  /**
   * Appends to several streams in one atomic commit: every request's expectation is checked and
   * either all streams get their events or none does. Each stream may appear once.
   *
   * @throws as {@link EventStore.appendToStream}; a `WRONG_EXPECTED_VERSION` names the first
   *   failing request's stream.
   */
  async multiStreamAppend(requests: readonly AppendRequest[]): Promise<MultiAppendResult> {
    this.#assertOpen()
    this.#assertRoom()
    const measured = { bytes: 0 }
    const prepared = prepareMultiAppend(requests, measured)
    const outcome = await this.#queued(measured.bytes, this.#driver.append(prepared))
    this.#committed(outcome)
    let position = 0n
    for (const r of outcome.results) if (r.position > position) position = r.position
    return { position, results: outcome.results }
  }

  /**
   * The events of one stream, after retention (soft delete, `truncateBefore`, `maxCount`,
   * `maxAge`). Lazy: nothing is read before the first pull.
   *
   * @throws on the first pull: `STREAM_NOT_FOUND` (never written, or soft-deleted with nothing
   *   after), `STREAM_DELETED` (tombstoned), `CLOSED`. Bad options throw `INVALID_ARGUMENT` at
   *   the call.
   */
  readStream(streamName: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    const name = validateStreamName(streamName, { system: true })
    const opts = checkOptions(options, ['fromRevision', 'direction', 'maxCount'], 'readStream')
    const direction = validateDirection(opts.direction)
    const from = opts.fromRevision
    if (from !== undefined && from !== 'start' && from !== 'end' && !(typeof from === 'number' && Number.isSafeInteger(from) && from >= 0)) {
      throw new InvalidArgumentError(`readStream: fromRevision must be 'start', 'end' or an integer >= 0`)
    }
    const maxCount = validateMaxCount(opts.maxCount)
    return { [Symbol.asyncIterator]: () => this.#readStream(name, direction, from ?? (direction === 'forwards' ? 'start' : 'end'), maxCount) }
  }

  /** The events `readStream` shows: the checks on the first pull, then the driver's events as they come. */
  #readStream(name: string, direction: Direction, from: 'start' | 'end' | number, maxCount: number): AsyncIterator<RecordedEvent> {
    return new DeferredIterator(async () => {
      this.#assertOpen()
      const info = await this.#driver.streamInfo(name)
      if (info?.tombstoned === true) throw new StreamDeletedError(name)
      if (info === undefined || info.lastRevision < 0 || isSoftDeleted(info)) throw new StreamNotFoundError(name)
      if (maxCount === 0) return undefined
      const window = retentionWindow(info, this.#now())
      const forwards = direction === 'forwards'
      let start = from === 'start' ? 0 : from === 'end' ? (forwards ? info.lastRevision + 1 : info.lastRevision) : from
      if (forwards) start = Math.max(start, window.minRevision)
      else if (start < window.minRevision) return undefined
      if (window.minRecordedAtMs === undefined) {
        // Revisions alone decide: the driver's events are the answer as they are (backwards, it
        // stops at the lowest visible revision).
        const count = forwards ? maxCount : Math.min(maxCount, start - window.minRevision + 1)
        return this.#driver.readStream(name, start, direction, count)[Symbol.asyncIterator]()
      }
      return this.#agedEvents(name, direction, start, maxCount, window)
    })
  }

  /** `readStream` under a `maxAge`: the events recorded too long ago are dropped here, so the driver cannot count. */
  async *#agedEvents(name: string, direction: Direction, start: number, maxCount: number, window: RetentionWindow): AsyncGenerator<RecordedEvent> {
    let left = maxCount
    for await (const event of this.#driver.readStream(name, start, direction, Number.POSITIVE_INFINITY)) {
      if (event.revision < window.minRevision) return // only reached backwards
      if (!isRetained(event, window)) continue
      yield event
      if (--left <= 0) return
    }
  }

  /**
   * The global log, `$all`, in position order (or reversed). Events of system streams (`$…`)
   * are left out unless `filter.includeSystem`. Retention does not apply to `$all`. Lazy.
   *
   * @throws `INVALID_ARGUMENT` at the call; `CLOSED` on a pull.
   */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    const opts = checkOptions(options, ['fromPosition', 'direction', 'maxCount', 'filter'], 'readAll')
    const direction = validateDirection(opts.direction)
    const maxCount = validateMaxCount(opts.maxCount)
    const filter = validateFilter(opts.filter)
    const from = opts.fromPosition ?? (direction === 'forwards' ? 'start' : 'end')
    let fromPosition: bigint
    if (from === 'start') fromPosition = 0n
    else if (from === 'end') fromPosition = MAX_POSITION
    else if (typeof from === 'bigint' && from >= 0n) fromPosition = from > MAX_POSITION ? MAX_POSITION : from
    else throw new InvalidArgumentError(`readAll: fromPosition must be 'start', 'end' or a bigint >= 0n`)
    return {
      [Symbol.asyncIterator]: () => {
        this.#assertOpen()
        return this.#driver.readAll(fromPosition, direction, maxCount, filter)[Symbol.asyncIterator]()
      },
    }
  }

  /**
   * The state of a stream: `no_stream`, `exists` (with its last revision), `deleted` (soft,
   * with the last revision it had; the next append continues after it) or `tombstoned`.
   */
  async getStreamState(streamName: string): Promise<StreamState> {
    this.#assertOpen()
    const name = validateStreamName(streamName, { system: true })
    const info = await this.#driver.streamInfo(name)
    if (info === undefined) return { state: 'no_stream' }
    if (info.tombstoned) return { state: 'tombstoned' }
    if (info.lastRevision < 0) return { state: 'no_stream' }
    if (isSoftDeleted(info)) return { state: 'deleted', revision: info.lastRevision }
    return { state: 'exists', revision: info.lastRevision }
  }

  /**
   * Replaces a stream's metadata (retention and `custom`), as one durable commit of a system
   * event in the `$$<stream>` stream. `expectedMetadataRevision` is checked against the
   * metadata's own revision (every stream command advances it: metadata, delete, tombstone).
   *
   * @throws `WRONG_EXPECTED_VERSION` (its `streamName` is `$$<stream>`), `STREAM_DELETED`,
   *   `INVALID_ARGUMENT`, `MAX_APPEND_SIZE_EXCEEDED`, `APPEND_FAILED`, `POISONED`, `CLOSED`.
   */
  async setStreamMetadata(
    streamName: string,
    metadata: StreamMetadata,
    options?: { readonly expectedMetadataRevision?: ExpectedRevision },
  ): Promise<AppendResult> {
    this.#assertOpen()
    const name = validateStreamName(streamName, { system: false })
    const checked = validateStreamMetadata(metadata)
    const opts = checkOptions(options, ['expectedMetadataRevision'], 'setStreamMetadata')
    const expected = opts.expectedMetadataRevision === undefined ? 'any' : validateExpectedRevision(opts.expectedMetadataRevision, 'expectedMetadataRevision')
    this.#assertRoom()
    const outcome = await this.#queued(0, this.#driver.command({ kind: 'metadata', streamName: name, metadata: checked, expectedMetadataRevision: expected }))
    this.#commandDone(outcome)
    return { nextExpectedRevision: outcome.revision, position: outcome.position, idempotentReplay: false }
  }

  /** The stream's metadata and its revision; `undefined` when no stream command was ever made on it. */
  async getStreamMetadata(streamName: string): Promise<{ readonly metadata: StreamMetadata; readonly metadataRevision: number } | undefined> {
    this.#assertOpen()
    const name = validateStreamName(streamName, { system: false })
    const info = await this.#driver.streamInfo(name)
    if (info === undefined || info.metadataRevision < 0) return undefined
    return { metadata: info.metadata ?? {}, metadataRevision: info.metadataRevision }
  }

  /**
   * Soft delete: `readStream` says `STREAM_NOT_FOUND` until the next append, which continues the
   * revisions (only the new events are visible). `$all` still holds the old events.
   *
   * @throws `WRONG_EXPECTED_VERSION`, `STREAM_DELETED` (tombstoned), `INVALID_ARGUMENT`, and the
   *   write errors of {@link EventStore.appendToStream}.
   */
  async deleteStream(streamName: string, options?: { readonly expectedRevision?: ExpectedRevision }): Promise<{ readonly position: bigint }> {
    return this.#deleteCommand('delete', streamName, options)
  }

  /**
   * Hard delete: every later append and read of the stream is `STREAM_DELETED`, forever (the
   * name cannot be reused). `$all` still holds its events.
   */
  async tombstoneStream(streamName: string, options?: { readonly expectedRevision?: ExpectedRevision }): Promise<{ readonly position: bigint }> {
    return this.#deleteCommand('tombstone', streamName, options)
  }

  async #deleteCommand(kind: 'delete' | 'tombstone', streamName: string, options: unknown): Promise<{ readonly position: bigint }> {
    this.#assertOpen()
    const name = validateStreamName(streamName, { system: false })
    const opts = checkOptions(options, ['expectedRevision'], kind === 'delete' ? 'deleteStream' : 'tombstoneStream')
    const expectedRevision = opts.expectedRevision === undefined ? 'any' : validateExpectedRevision(opts.expectedRevision)
    this.#assertRoom()
    const outcome = await this.#queued(0, this.#driver.command({ kind, streamName: name, expectedRevision }))
    this.#commandDone(outcome)
    return { position: outcome.position }
  }

  /**
   * A catch-up subscription to `$all`: every event after `fromPosition` (exclusive; default
   * `'start'`), then live ones, in position order, each exactly once, only once durable. System
   * events are not delivered. See the README's subscriptions section.
   */
  subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    this.#assertOpen()
    return readSideOf(this).subscribeToAll(options)
  }

  /** A catch-up subscription to one stream, after `fromRevision` (exclusive; default `'start'`). */
  subscribeToStream(streamName: string, options?: SubscribeToStreamOptions): Subscription {
    this.#assertOpen()
    return readSideOf(this).subscribeToStream(streamName, options)
  }

  /**
   * A durable named subscription: resumes after its stored checkpoint (verified against the log:
   * `CHECKPOINT_MISMATCH` rather than a silent skip), delivers at least once, stores its
   * checkpoint as it goes. A handler that throws stops it (`SUBSCRIPTION_DROPPED`) without
   * moving the checkpoint past that event.
   */
  subscribe(subscriptionId: string, handler: DurableHandler, options?: DurableSubscribeOptions): Promise<DurableSubscription> {
    this.#assertOpen()
    return readSideOf(this).subscribe(subscriptionId, handler, options)
  }

  /** The stored checkpoint of a durable subscription, `undefined` when none. */
  getCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined> {
    this.#assertOpen()
    return readSideOf(this).getCheckpoint(subscriptionId)
  }

  /** Sets (or, with `'start'`, clears) a durable subscription's checkpoint; the way out of `CHECKPOINT_MISMATCH`. */
  resetCheckpoint(subscriptionId: string, to: Checkpoint | 'start'): Promise<void> {
    this.#assertOpen()
    return readSideOf(this).resetCheckpoint(subscriptionId, to)
  }

  /**
   * Runs a projection (`defineProjection`): `'inline'` ones are applied after each commit is
   * durable and before its append resolves; `'async'` ones follow the log on their own.
   */
  project<State>(projection: Projection<State>, options: ProjectOptions): Promise<ProjectionHandle<State>> {
    this.#assertOpen()
    return readSideOf(this).project(projection, options)
  }

  /**
   * Folds a stream's visible events into a state, from the newest usable snapshot plus the
   * events after it (snapshots are a cache: one that will not load is ignored and the stream
   * replayed).
   */
  aggregateStream<State, Event extends RecordedEvent = RecordedEvent>(
    streamName: string,
    options: AggregateStreamOptions<State, Event>,
  ): Promise<AggregateStreamResult<State>> {
    this.#assertOpen()
    return readSideOf(this).aggregateStream(streamName, options)
  }

  /**
   * Closes the store: stops its subscriptions and projections, lets appends in flight finish,
   * closes the backend. Idempotent; later calls reject with `CLOSED`.
   */
  close(): Promise<void> {
    return this.#state.close()
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #closeNow(): Promise<void> {
    let failure: unknown
    for (const hook of [...this.#closeHooks]) {
      try {
        await hook()
      } catch (err) {
        failure ??= err
      }
    }
    this.#closeHooks.clear()
    try {
      await this.#driver.close()
    } catch (err) {
      failure ??= err
    }
    this.#committedListeners.clear()
    if (failure !== undefined) throw failure as Error
  }

  #committed(outcome: DriverAppendOutcome): void {
    // The results say where the append's last event is (an idempotent replay wrote nothing);
    // the events themselves are asked for only when someone listens (a driver may make them
    // on demand).
    let last: bigint | undefined
    for (const r of outcome.results) if (!r.idempotentReplay && (last === undefined || r.position > last)) last = r.position
    if (last === undefined) return
    if (this.#lastPosition === undefined || last > this.#lastPosition) this.#lastPosition = last
    if (this.#committedListeners.size > 0) this.#notify(outcome.events)
  }

  #commandDone(outcome: { readonly position: bigint; readonly event?: RecordedEvent }): void {
    if (this.#lastPosition === undefined || outcome.position > this.#lastPosition) this.#lastPosition = outcome.position
    if (outcome.event !== undefined) this.#notify([outcome.event])
  }

  #notify(events: readonly RecordedEvent[]): void {
    for (const listener of this.#committedListeners) {
      try {
        listener(events)
      } catch {
        // The commit is durable and stands; a listener's failure is its own (StoreInternals).
      }
    }
  }

  #assertOpen(): void {
    this.#state.assertOpen()
  }

  /**
   * Throws `OverloadedError` once `maxQueuedOperations` writes or `maxQueuedBytes` of their
   * events wait. Before the write is validated and copied, so a refusal costs next to nothing.
   */
  #assertRoom(): void {
    if (this.#queuedOps >= this.#maxQueuedOperations) {
      throw new OverloadedError('maxQueuedOperations', this.#maxQueuedOperations, this.#queuedOps, this.#queuedBytes)
    }
    if (this.#queuedBytes >= this.#maxQueuedBytes) {
      throw new OverloadedError('maxQueuedBytes', this.#maxQueuedBytes, this.#queuedOps, this.#queuedBytes)
    }
  }

  /** Counts `work` (a write of `bytes`) against the queue limits until it settles. */
  async #queued<T>(bytes: number, work: Promise<T>): Promise<T> {
    this.#queuedOps++
    this.#queuedBytes += bytes
    try {
      return await work
    } finally {
      this.#queuedOps--
      this.#queuedBytes -= bytes
    }
  }

  #internals(): StoreInternals {
    const isClosed = (): boolean => this.#state.closed
    return {
      driver: this.#driver,
      now: this.#now,
      onCommitted: (listener) => {
        this.#committedListeners.add(listener)
        return () => void this.#committedListeners.delete(listener)
      },
      onClose: (hook) => {
        this.#closeHooks.add(hook)
        return () => void this.#closeHooks.delete(hook)
      },
      assertOpen: () => this.#assertOpen(),
      get closed() {
        return isClosed()
      },
    }
  }
}

/** The range of an `EventStore.open` queue limit. */
const QUEUE_LIMIT = { min: 1, max: Number.MAX_SAFE_INTEGER }

/** `EventStore.open`'s option keys (compile-time checked against {@link EventStoreOpenOptions}). */
const OPEN_KEYS = optionKeys<EventStoreOpenOptions>()(['backend', 'now', 'maxQueuedOperations', 'maxQueuedBytes'] as const, 'EventStore.open')
