import { StoreState } from '@quire/durable'
import type { AbortSignalLike } from '../abort-signal.js'
import type { CommitLog, StoredEvent } from '../commit-log.js'
import type {
  CommandOutcome,
  DriverAppendOutcome,
  DriverAppendRequest,
  DriverFilter,
  EventStoreDriver,
  StoredSnapshot,
  StreamCommand,
  StreamInfo,
} from '../driver.js'
import {
  AppendFailedError,
  DuplicateEventIdError,
  EventStoreCorruptError,
  isEventStoreError,
  InvalidArgumentError,
  StorePoisonedError,
  StreamDeletedError,
  WrongExpectedVersionError,
  type ActualRevision,
} from '../errors.js'
import type { AppendResult, Checkpoint, Direction, ExpectedRevision, RecordedEvent } from '../types.js'
import { newEventId } from '../validation.js'
import { hasEncodedReplay, REPLAY_ENCODED } from './encoded-value.js'
import { LocalIndex, type StreamEntry } from './local-index.js'
import type { SideStore } from './side-store.js'
import { stepIterable } from './step-iterator.js'
import { lockOrder, StreamLocks } from './stream-locks.js'
import { DELETED_EVENT_TYPE, METADATA_EVENT_TYPE, metadataStreamOf, TOMBSTONE_EVENT_TYPE } from './system-events.js'

/**
 * Open sizes the index for the log's length up front (the log says it before replay), unless the
 * log claims more events than this: then the index grows as events come, as a damaged or foreign
 * log cannot make the open allocate for events it does not hold.
 */
const MAX_RESERVED_EVENTS = 16 * 1024 * 1024

/** The ids of a commit in flight; appends that want one of them wait here (a promise only then). */
interface Reservation {
  waiters: (() => void)[] | undefined
}

/** What {@link LocalDriver.open} takes. */
export interface LocalDriverOptions {
  /** Short backend name for messages and reports, e.g. `'wal'`. */
  readonly name: string
  /** The durable log; the driver owns it from here on (closes it, also when `open` fails). */
  readonly log: CommitLog
  /** Checkpoints and snapshots; owned like `log`. */
  readonly side: SideStore
  /** Clock for `recordedAt`, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number
}

/** The visible state of a stream for expected-revision checks: its last revision, or none. */
function actualOf(entry: StreamEntry | undefined): ActualRevision {
  if (entry === undefined) return 'no_stream'
  const last = entry.positions.length - 1
  return last >= 0 && last >= (entry.deletedBefore ?? 0) ? last : 'no_stream'
}

function expectationHolds(expected: ExpectedRevision, actual: ActualRevision): boolean {
  switch (expected) {
    case 'any':
      return true
    case 'no_stream':
      return actual === 'no_stream'
    case 'stream_exists':
      return actual !== 'no_stream'
    default:
      return actual === expected
  }
}

/**
 * What the stream showed just before revision `revision` was written: the revision before it,
 * or `'no_stream'` when there was none or a soft delete hid it then. A delete made before that
 * write has `deletedBefore <= revision`; one made after it has a larger value (the stream had
 * reached `revision` by then).
 */
function actualBefore(entry: StreamEntry, revision: number): ActualRevision {
  let boundary = 0
  for (const b of entry.deleteBoundaries ?? []) if (b <= revision && b > boundary) boundary = b
  return revision - 1 >= boundary ? revision - 1 : 'no_stream'
}

/** A caught value as an `Error` (to reject a promise with). */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

/**
 * What an append resolves with. Its events are made only when asked for: most appends are read
 * by no inline projection or commit listener, and a {@link RecordedEvent} costs a `bigint`, a
 * `Date` and an id string each.
 */
class AppendOutcome implements DriverAppendOutcome {
  readonly results: readonly AppendResult[]
  readonly #index: LocalIndex
  readonly #first: number
  readonly #count: number
  #events: RecordedEvent[] | undefined

  constructor(index: LocalIndex, stored: readonly StoredEvent[], lastOffsets: readonly number[], firstPosition: bigint, first: number) {
    this.#index = index
    this.#first = first
    this.#count = stored.length
    const results = new Array<AppendResult>(lastOffsets.length)
    for (let i = 0; i < lastOffsets.length; i++) {
      const offset = lastOffsets[i]!
      results[i] = {
        nextExpectedRevision: stored[offset]!.revision,
        position: offset === 0 ? firstPosition : firstPosition + BigInt(offset),
        idempotentReplay: false,
      }
    }
    this.results = results
  }

  get events(): readonly RecordedEvent[] {
    if (this.#events === undefined) {
      const events = new Array<RecordedEvent>(this.#count)
      for (let i = 0; i < this.#count; i++) events[i] = this.#index.eventAt(this.#first + i)!
      this.#events = events
    }
    return this.#events
  }
}

function passFilter(filter: DriverFilter | undefined): (streamName: string, type: string) => boolean {
  const system = filter?.includeSystem === true
  const streams = filter?.streamNamePrefix
  const types = filter?.eventTypePrefix
  if (streams === undefined && types === undefined) {
    return system ? () => true : (streamName) => !streamName.startsWith('$')
  }
  return (streamName, type) =>
    (system || !streamName.startsWith('$')) &&
    (streams === undefined || streams.some((p) => streamName.startsWith(p))) &&
    (types === undefined || types.some((p) => type.startsWith(p)))
}

/**
 * The {@link EventStoreDriver} of the embedded backends, over a {@link CommitLog} and a
 * {@link SideStore}: the stream index, the id index, expected revisions, the idempotency rule,
 * stream commands and wake-ups, written once for the WAL, NDJSON and record-keeper logs (and the
 * in-memory one). This is the seed's design (an in-memory index over a persisted log) with its
 * flaws removed:
 *
 * - memory (indexes, `lastPosition`, wake-ups) changes only after `log.append` resolved, so a
 *   failed commit leaves no trace and no gap;
 * - one operation per stream in flight (a per-stream queue; multi-stream appends take theirs in
 *   sorted order), so expected revisions are checked against the stream's whole state and
 *   revisions are assigned at acceptance; different streams proceed concurrently and the log
 *   group-commits them; event ids of commits in flight are reserved;
 * - positions come from the log's acknowledgment (the WAL and NDJSON logs re-give the positions
 *   of a rolled-back write) and must follow the index's last one;
 * - after `log.poisoned`, every write is `POISONED` until reopen.
 *
 * On open, the log is replayed into the index; a hole in positions, a revision out of sequence,
 * a repeated id or an unknown system event is `CORRUPT`, never skipped. Memory grows
 * with the number of events (every event is kept readable, plus the id index).
 */
export class LocalDriver implements EventStoreDriver {
  readonly name: string
  readonly #log: CommitLog
  readonly #side: SideStore
  readonly #now: () => number
  readonly #index = new LocalIndex()
  readonly #locks = new StreamLocks()
  /** Ids of commits in flight -> that commit's reservation. */
  readonly #reserved = new Map<string, Reservation>()
  /** Operations started and not yet settled; `close` waits for them. */
  #inFlight = 0
  #drained: (() => void) | undefined
  readonly #waiters = new Set<() => void>()
  /** Close once (every later call gets the first call's promise), `CLOSED` from its first call on. */
  readonly #state = new StoreState({ onClose: () => this.#closeNow() })
  /** Set when a live commit could not be applied to memory: memory is no longer trusted. */
  #broken: Error | undefined

  private constructor(options: LocalDriverOptions) {
    this.name = options.name
    this.#log = options.log
    this.#side = options.side
    this.#now = options.now ?? Date.now
  }

  /**
   * Replays `log` into a fresh index and returns the driver serving it.
   *
   * @throws {@link EventStoreCorruptError} (`CORRUPT`) when the log holds a hole in
   *   positions, a revision out of sequence, a repeated event id or an unknown system event;
   *   errors of `log.replay` pass through. `log` and `side` are closed on failure.
   */
  static async open(options: LocalDriverOptions): Promise<LocalDriver> {
    const driver = new LocalDriver(options)
    try {
      const expected = options.log.lastPosition
      driver.#index.beginReplay(expected > 0n && expected <= BigInt(MAX_RESERVED_EVENTS) ? Number(expected) : 0)
      // A log that can leave events' data encoded does (decoded on first read: encoded-value.ts).
      if (hasEncodedReplay(options.log)) {
        for await (const commit of options.log[REPLAY_ENCODED]()) driver.#index.apply(commit.events, commit.firstPosition, commit.idWords)
      } else {
        for await (const commit of options.log.replay()) driver.#index.apply(commit.events, commit.firstPosition)
      }
      driver.#index.endReplay()
      const replayed = BigInt(driver.#index.lastPosition)
      if (options.log.lastPosition !== replayed) {
        throw new EventStoreCorruptError(`${options.name}: the log ends at position ${options.log.lastPosition} but replay gave events up to ${replayed}`)
      }
    } catch (err) {
      await options.log.close().catch(() => undefined)
      await options.side.close().catch(() => undefined)
      throw err
    }
    return driver
  }

  /** Events held in memory (system events included); for memory-per-event figures. */
  get eventCount(): number {
    return this.#index.lastPosition
  }

  /** Streams in the index (system `$$` streams included). */
  get streamCount(): number {
    return this.#index.streamCount
  }

  append(requests: readonly DriverAppendRequest[]): Promise<DriverAppendOutcome> {
    let names: readonly string[]
    try {
      this.#assertWritable()
      if (requests.length === 0) throw new InvalidArgumentError('append: no requests')
      names = requests.length === 1 ? [requests[0]!.streamName] : lockOrder(requests.map((r) => r.streamName))
      if (names.length !== requests.length) throw new InvalidArgumentError('append: a stream appears in two requests')
    } catch (err) {
      return Promise.reject(asError(err))
    }
    // The common case costs no promise of its own: the locks are free, the append runs now.
    this.#inFlight++
    const waiting = this.#locks.acquire(names)
    return waiting === undefined ? this.#appendHolding(requests, names) : waiting.then(() => this.#appendHolding(requests, names))
  }

  async command(command: StreamCommand): Promise<CommandOutcome> {
    this.#assertWritable()
    this.#inFlight++
    const names = [command.streamName]
    const waiting = this.#locks.acquire(names)
    if (waiting !== undefined) await waiting
    let stored: StoredEvent
    try {
      stored = this.#commandEvent(command)
    } catch (err) {
      this.#release(names)
      throw err
    }
    return this.#commit([stored], names, (firstPosition) => ({ position: firstPosition, revision: stored.revision, event: this.#index.eventAt(Number(firstPosition))! }))
  }

  /**
   * The append, with the locks of `names` held (and counted in flight): settles only after
   * releasing them, whatever happens. The checks run now, without a turn of the event loop in
   * between, so that no other append can claim one of these ids before the commit reserves them.
   */
  #appendHolding(requests: readonly DriverAppendRequest[], names: readonly string[]): Promise<DriverAppendOutcome> {
    let stored: StoredEvent[]
    let lastOffsets: number[]
    try {
      this.#assertWritable()
      // An id held by a commit in flight: wait for it to settle, then check everything again.
      const pending = this.#reservedBy(requests)
      if (pending !== undefined) return pending.then(() => this.#appendHolding(requests, names))

      // Idempotency first: an exact retry answers with the original result whatever the stream
      // looks like now; any other reuse of an id is refused.
      let replays: (AppendResult | undefined)[] | undefined
      // Each stream looked up once (a lookup in a large map is a cache miss or two).
      const entries = new Array<StreamEntry | undefined>(requests.length)
      for (let i = 0; i < requests.length; i++) {
        const request = requests[i]!
        const entry = (entries[i] = this.#index.stream(request.streamName))
        if (entry?.tombstoned === true) throw new StreamDeletedError(request.streamName)
        const replay = this.#replayOf(request, entry)
        if (replay !== undefined) (replays ??= new Array<AppendResult | undefined>(requests.length))[i] = replay
      }
      if (replays !== undefined) {
        const partial = replays.findIndex((r) => r === undefined)
        if (partial >= 0) throw this.#duplicate(requests[replays.findIndex((r) => r !== undefined)]!.events[0]!.id)
        this.#release(names)
        return Promise.resolve({ results: replays as AppendResult[], events: [] })
      }

      const recordedAtMs = this.#now()
      let total = 0
      for (const request of requests) total += request.events.length
      // Sized up front: a literal [] grows to 17 slots at its first push.
      stored = new Array<StoredEvent>(total)
      lastOffsets = new Array<number>(requests.length)
      let at = 0
      for (let r = 0; r < requests.length; r++) {
        const request = requests[r]!
        const entry = entries[r]
        const actual = actualOf(entry)
        if (!expectationHolds(request.expectedRevision, actual)) {
          throw new WrongExpectedVersionError(request.streamName, request.expectedRevision, actual)
        }
        const first = entry?.positions.length ?? 0
        for (let i = 0; i < request.events.length; i++) {
          const e = request.events[i]!
          stored[at++] = {
            id: e.id,
            streamName: request.streamName,
            revision: first + i,
            type: e.type,
            data: e.data,
            metadata: e.metadata,
            recordedAtMs,
          }
        }
        lastOffsets[r] = at - 1
      }
    } catch (err) {
      this.#release(names)
      return Promise.reject(asError(err))
    }
    return this.#commit(stored, names, (firstPosition, first) => new AppendOutcome(this.#index, stored, lastOffsets, firstPosition, first))
  }

  /** The system event of a stream command, checked against the stream's state. */
  #commandEvent(command: StreamCommand): StoredEvent {
    this.#assertWritable()
    const { streamName } = command
    const entry = this.#index.stream(streamName)
    if (entry?.tombstoned === true) throw new StreamDeletedError(streamName)
    const metaName = metadataStreamOf(streamName)
    const revision = this.#index.stream(metaName)?.positions.length ?? 0
    let type: string
    let data: unknown
    if (command.kind === 'metadata') {
      const actual: ActualRevision = revision === 0 ? 'no_stream' : revision - 1
      if (!expectationHolds(command.expectedMetadataRevision, actual)) {
        throw new WrongExpectedVersionError(metaName, command.expectedMetadataRevision, actual)
      }
      type = METADATA_EVENT_TYPE
      data = command.metadata
    } else {
      const actual = actualOf(entry)
      if (!expectationHolds(command.expectedRevision, actual)) {
        throw new WrongExpectedVersionError(streamName, command.expectedRevision, actual)
      }
      if (command.kind === 'delete') {
        type = DELETED_EVENT_TYPE
        data = { deletedBefore: entry?.positions.length ?? 0 }
      } else {
        type = TOMBSTONE_EVENT_TYPE
        data = {}
      }
    }
    return { id: newEventId(), streamName: metaName, revision, type, data, metadata: undefined, recordedAtMs: this.#now() }
  }

  /**
   * Makes `stored` durable, then (and only then) applies it to memory, wakes readers, and
   * resolves with `done(firstPosition)`. The ids are reserved while the commit is in flight, so
   * no other append can claim them. The locks of `names` are released when it settles, either way.
   */
  #commit<T>(stored: readonly StoredEvent[], names: readonly string[], done: (firstPosition: bigint, first: number) => T): Promise<T> {
    const reservation: Reservation = { waiters: undefined }
    for (const e of stored) this.#reserved.set(e.id, reservation)
    let acknowledged: Promise<{ readonly firstPosition: bigint }>
    try {
      acknowledged = this.#log.append({ events: stored })
    } catch (err) {
      acknowledged = Promise.reject(asError(err))
    }
    return acknowledged.then(
      ({ firstPosition }) => {
        // Run as the log acknowledges, without a turn in between: commits are applied in the
        // order the log acknowledged them, which is position order.
        try {
          this.#index.apply(stored, firstPosition)
          this.#wake()
          return done(firstPosition, Number(firstPosition))
        } catch (err) {
          // The first failure is what every later write reports.
          this.#broken ??= err as Error
          throw err
        } finally {
          this.#unreserve(stored, reservation)
          this.#release(names)
        }
      },
      (err: unknown) => {
        this.#unreserve(stored, reservation)
        this.#release(names)
        throw isEventStoreError(err) ? err : new AppendFailedError(`${this.name}: the commit failed; its outcome is unknown`, { cause: err })
      },
    )
  }

  /** The original result when `request` is an exact retry, `undefined` when its ids are all new. */
  #replayOf(request: DriverAppendRequest, entry: StreamEntry | undefined): AppendResult | undefined {
    const events = request.events
    const first = this.#index.locate(events[0]!.id)
    if (first === undefined) {
      for (const e of events) if (this.#index.locate(e.id) !== undefined) throw this.#duplicate(e.id)
      return undefined
    }
    let last = first
    for (let i = 0; i < events.length; i++) {
      const at = this.#index.locate(events[i]!.id)
      if (at === undefined || at.streamName !== request.streamName || at.revision !== first.revision + i) {
        throw this.#duplicate(at === undefined ? events[0]!.id : events[i]!.id)
      }
      last = at
    }
    // The retry is the same append only if its expectation held when the original was written.
    if (entry === undefined || !expectationHolds(request.expectedRevision, actualBefore(entry, first.revision))) {
      throw this.#duplicate(events[0]!.id)
    }
    return { nextExpectedRevision: last.revision, position: BigInt(last.position), idempotentReplay: true }
  }

  #duplicate(id: string): DuplicateEventIdError {
    const at = this.#index.locate(id)!
    return new DuplicateEventIdError(id, { streamName: at.streamName, revision: at.revision })
  }

  /** The settling of a commit in flight that holds one of the ids of `requests`, if any. */
  #reservedBy(requests: readonly DriverAppendRequest[]): Promise<void> | undefined {
    if (this.#reserved.size === 0) return undefined
    for (const request of requests) {
      for (const e of request.events) {
        const reservation = this.#reserved.get(e.id)
        if (reservation !== undefined) return new Promise<void>((resolve) => (reservation.waiters ??= []).push(resolve))
      }
    }
    return undefined
  }

  /** Ends a commit's reservation (it landed or failed) and wakes the appends waiting on it. */
  #unreserve(stored: readonly StoredEvent[], reservation: Reservation): void {
    for (const e of stored) this.#reserved.delete(e.id)
    if (reservation.waiters !== undefined) for (const wake of reservation.waiters) wake()
  }

  readStream(streamName: string, from: number, direction: Direction, maxCount: number): AsyncIterable<RecordedEvent> {
    const index = this.#index
    return stepIterable(() => {
      this.#assertOpen()
      const positions = index.stream(streamName)?.positions
      if (positions === undefined) return () => undefined
      const forwards = direction === 'forwards'
      const end = positions.length
      let r = forwards ? Math.max(0, from) : Math.min(from, end - 1)
      let left = maxCount
      return () => {
        if (left <= 0 || (forwards ? r >= end : r < 0)) return undefined
        this.#assertOpen()
        const position = positions[r]!
        r += forwards ? 1 : -1
        left--
        return index.eventAt(position)
      }
    })
  }

  readAll(from: bigint, direction: Direction, maxCount: number, filter: DriverFilter | undefined): AsyncIterable<RecordedEvent> {
    const index = this.#index
    const pass = passFilter(filter)
    return stepIterable(() => {
      this.#assertOpen()
      const forwards = direction === 'forwards'
      const head = index.lastPosition
      // Number() of a bigint past 2^53 is inexact but still past the end, which is all it must be.
      let p = forwards ? Math.max(1, Number(from)) : Math.min(Number(from), head)
      let left = maxCount
      return () => {
        if (left <= 0) return undefined
        this.#assertOpen()
        while (forwards ? p <= head : p >= 1) {
          const at = p
          p += forwards ? 1 : -1
          if (pass(index.streamNameAt(at), index.typeAt(at))) {
            left--
            return index.eventAt(at)
          }
        }
        return undefined
      }
    })
  }

  async streamInfo(streamName: string): Promise<StreamInfo | undefined> {
    this.#assertOpen()
    return this.#index.streamInfo(streamName)
  }

  async eventAt(position: bigint): Promise<RecordedEvent | undefined> {
    this.#assertOpen()
    return position >= 1n && position <= BigInt(this.#index.lastPosition) ? this.#index.eventAt(Number(position)) : undefined
  }

  async headPosition(): Promise<bigint | undefined> {
    this.#assertOpen()
    const last = this.#index.lastPosition
    return last === 0 ? undefined : BigInt(last)
  }

  waitForAppend(after: bigint | undefined, signal: AbortSignalLike): Promise<void> {
    if (this.#state.closed || signal.aborted) return Promise.resolve()
    if (BigInt(this.#index.lastPosition) > (after ?? 0n)) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#waiters.delete(done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      this.#waiters.add(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  async loadCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined> {
    this.#assertOpen()
    return this.#side.loadCheckpoint(subscriptionId)
  }

  async storeCheckpoint(subscriptionId: string, checkpoint: Checkpoint | undefined): Promise<void> {
    this.#assertOpen()
    return this.#side.storeCheckpoint(subscriptionId, checkpoint)
  }

  async loadSnapshot(key: string): Promise<StoredSnapshot | undefined> {
    this.#assertOpen()
    return this.#side.loadSnapshot(key)
  }

  async saveSnapshot(key: string, snapshot: StoredSnapshot): Promise<void> {
    this.#assertOpen()
    return this.#side.saveSnapshot(key, snapshot)
  }

  /** Idempotent. Appends in flight (and queued behind stream locks) finish or fail first. */
  close(): Promise<void> {
    return this.#state.close()
  }

  async #closeNow(): Promise<void> {
    this.#wake()
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve))
    let failure: unknown
    await this.#log.close().catch((err: unknown) => (failure = err))
    await this.#side.close().catch((err: unknown) => (failure ??= err))
    if (failure !== undefined) throw failure as Error
  }

  #wake(): void {
    if (this.#waiters.size === 0) return
    for (const waiter of [...this.#waiters]) waiter()
  }

  /** Releases the locks of `names` and the operation's place among those in flight. */
  #release(names: readonly string[]): void {
    this.#locks.release(names)
    if (--this.#inFlight === 0) this.#drained?.()
  }

  #assertOpen(): void {
    this.#state.assertOpen()
  }

  #assertWritable(): void {
    this.#assertOpen()
    if (this.#broken !== undefined) throw this.#broken
    if (this.#log.poisoned) throw this.#log.poisonError ?? new StorePoisonedError(undefined)
  }
}
