import type { StoredEvent } from '../commit-log.js'
import type { StreamInfo } from '../driver.js'
import { EventStoreCorruptError } from '../errors.js'
import type { RecordedEvent, StreamMetadata } from '../types.js'
import { deepFreeze } from './deep-freeze.js'
import { EncodedValue } from './encoded-value.js'
import { IdTable } from './id-table.js'
import { StreamTable } from './stream-table.js'
import { ValueArena } from './value-arena.js'
import { metadataStreamOf, systemEffect, targetOfMetadataStream, type SystemEffect } from './system-events.js'

/** A stream as the index keeps it. The `$$<name>` stream has its own entry. */
export interface StreamEntry {
  readonly name: string
  /** Position of revision `r` at index `r`; never shrinks (retention hides, it does not remove). */
  readonly positions: number[]
  /** Set by a soft delete: revisions below it are hidden. */
  deletedBefore: number | undefined
  /**
   * Every soft delete's `deletedBefore`, oldest first (`undefined` until the first), so that what
   * the stream showed before any past revision can be told (the idempotency rule needs it).
   */
  deleteBoundaries: number[] | undefined
  tombstoned: boolean
  metadata: StreamMetadata | undefined
}

/** In the `data` column: the event's data is in the arena, not decoded yet. */
const ENCODED: unique symbol = Symbol('encoded')

/** Stream types are few; interning them keeps one string per type instead of one per replayed event. */
const MAX_INTERNED_TYPES = 10_000

/**
 * The LocalDriver's memory: every event (readable by position), the stream index and the id
 * index. Changed only by {@link LocalIndex.apply} with a commit the log acknowledged (or
 * replayed), which checks the commit first and then applies it whole, so memory is never half
 * a commit. Positions are held as numbers (exact up to 2^53).
 *
 * Events are kept column by column (one array per field, indexed by position - 1) rather than as
 * an object each: no object header or pointer per event, nothing per event for the garbage
 * collector to trace beyond the values themselves, and no `bigint` or `Date` (a
 * {@link RecordedEvent} is made on each read, for about 0.2 µs). Ids live in an {@link IdTable}.
 */
export class LocalIndex {
  readonly #ids = new IdTable()
  /** Id strings of events read so far (see #idAt); `undefined` for the others. */
  #idStrings: (string | undefined)[] = []
  #types: string[] = []
  #data: unknown[] = []
  #metadata: unknown[] = []
  /** The stream of each event (its entry: the name, without a pointer to a string per event). */
  #streamOf: StreamEntry[] = []
  /** Numbers in typed arrays: no boxing, nothing for the garbage collector to trace; grown by doubling. */
  #revisions = new Float64Array(1024)
  #recordedAtMs = new Float64Array(1024)
  /** Where the encoded `data` of a replayed event is in the arena, and its length (events whose `#data` is ENCODED). */
  #dataHandle = new Float64Array(1024)
  #dataLength = new Int32Array(1024)
  readonly #arena = new ValueArena()
  /** Length of the typed columns, in a field (the getter is not free). */
  #capacity = 1024
  #count = 0
  /** Between beginReplay and endReplay: ids are indexed at the end. */
  #replaying = false
  readonly #streams = new StreamTable<StreamEntry>()
  readonly #typeNames = new Map<string, string>()

  /** Highest position applied, 0 when empty. */
  get lastPosition(): number {
    return this.#count
  }

  /**
   * Starts a replay (open): ids are checked for repeats and indexed once, at
   * {@link LocalIndex.endReplay}, all together, which is cheaper than one by one. `expected`:
   * the events the log says it holds, to size the index for (0 when unknown).
   */
  beginReplay(expected: number): void {
    this.#replaying = true
    if (expected > 0) {
      this.#ids.reserve(expected)
      if (this.#capacity < expected) this.#grow(expected)
      if (this.#count === 0) {
        // Sized up front: a store into an array of the right length costs a third of a push
        // that now and then copies the whole array to grow it.
        this.#idStrings = new Array<string | undefined>(expected).fill(undefined)
        this.#types = new Array<string>(expected).fill('')
        this.#data = new Array<unknown>(expected).fill(undefined)
        this.#metadata = new Array<unknown>(expected).fill(undefined)
        this.#streamOf = new Array<StreamEntry>(expected)
      }
    }
  }

  /** Ends a replay: indexes the replayed ids. @throws `CORRUPT` when an id appears twice in the log. */
  endReplay(): void {
    this.#replaying = false
    const repeat = this.#ids.buildDeferred()
    if (repeat !== 0) corrupt(repeat, `event id ${this.#ids.idAt(repeat)} appears twice in the log`)
  }

  /** Number of streams in the index (system `$$` streams included). */
  get streamCount(): number {
    return this.#streams.size
  }

  stream(name: string): StreamEntry | undefined {
    return this.#streams.get(name)
  }

  /** Where an event id is, or `undefined`. */
  locate(id: string): { readonly streamName: string; readonly revision: number; readonly position: number } | undefined {
    const position = this.#ids.find(id)
    if (position === 0) return undefined
    return { streamName: this.#streamOf[position - 1]!.name, revision: this.#revisions[position - 1]!, position }
  }

  /** Position of an event id, 0 when absent (no object made: the common case of a new id). */
  positionOf(id: string): number {
    return this.#ids.find(id)
  }

  /** The event at `position` (1-based), or `undefined`. */
  eventAt(position: number): RecordedEvent | undefined {
    if (!(position >= 1 && position <= this.#count)) return undefined
    const i = position - 1
    return {
      id: this.#idAt(i),
      type: this.#types[i]!,
      data: this.#dataAt(i),
      metadata: this.#metadata[i],
      streamName: this.#streamOf[i]!.name,
      revision: this.#revisions[i]!,
      position: BigInt(position),
      recordedAt: new Date(this.#recordedAtMs[i]!),
    }
  }

  /** The `data` of the event at index `i`: decoded from the arena on its first read, then kept. */
  #dataAt(i: number): unknown {
    const data = this.#data[i]
    if (data !== ENCODED) return data
    const decoded = this.#arena.decode(this.#dataHandle[i]!, this.#dataLength[i]!)
    this.#data[i] = decoded
    return decoded
  }

  /**
   * The id string of the event at index `i`, made from its words the first time it is read and
   * kept: a read of it costs ~0.2 µs, and aggregates and subscriptions read the same recent
   * events again and again; events never read (most of a large store after open) hold none.
   */
  #idAt(i: number): string {
    const known = this.#idStrings[i]
    if (known !== undefined) return known
    const id = this.#ids.idAt(i + 1)
    this.#idStrings[i] = id
    return id
  }

  /** Stream name of the event at `position` (1 .. lastPosition), for filters that must not build a RecordedEvent per event. */
  streamNameAt(position: number): string {
    return this.#streamOf[position - 1]!.name
  }

  /** Type of the event at `position` (1 .. lastPosition). */
  typeAt(position: number): string {
    return this.#types[position - 1]!
  }

  streamInfo(name: string): StreamInfo | undefined {
    const entry = this.#streams.get(name)
    const meta = this.#streams.get(metadataStreamOf(name))
    if (entry === undefined && meta === undefined) return undefined
    const lastRevision = entry === undefined ? -1 : entry.positions.length - 1
    const last = entry?.positions[lastRevision]
    return {
      lastRevision,
      lastPosition: last === undefined ? undefined : BigInt(last),
      tombstoned: entry?.tombstoned ?? false,
      metadata: entry?.metadata,
      metadataRevision: meta === undefined ? -1 : meta.positions.length - 1,
      deletedBefore: entry?.deletedBefore,
    }
  }

  /**
   * Checks a commit against the index (positions follow, each stream's revisions follow, ids are
   * new, system events are well formed and target no tombstoned stream) while applying it. A
   * commit that fails a check throws `CORRUPT`, possibly half applied, so the index
   * must not be used after that: on replay the open fails; live (a bug), the driver refuses
   * every later write. One pass, no allocation beyond what is kept: replay is the open time.
   * Its events are then readable with {@link LocalIndex.eventAt}. `idWords` (replay only): the
   * events' ids as four words each, their `id` fields then unused.
   */
  apply(events: readonly StoredEvent[], firstPosition: bigint, idWords?: Uint32Array): void {
    const first = Number(firstPosition)
    if (first !== this.#count + 1) {
      throw new EventStoreCorruptError(`commit at position ${firstPosition} does not follow position ${this.#count} (a hole or an overlap in the log)`)
    }
    if (this.#capacity < this.#count + events.length) this.#grow(this.#count + events.length)
    if (events.length === 0) throw new EventStoreCorruptError(`commit at position ${firstPosition} has no events`)
    // Events of one stream come in runs (a commit's request, a replayed commit of a few streams):
    // the entry found for the previous event serves the next one of the same stream.
    let previous: StreamEntry | undefined
    // Types come in runs too: the last one interned serves the next event of the same type.
    let lastType: string | undefined
    let lastInterned = ''
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!
      const position = first + i
      const { id, streamName, type } = e
      if (typeof id !== 'string' || typeof streamName !== 'string' || typeof type !== 'string' || typeof e.recordedAtMs !== 'number') {
        corrupt(position, 'malformed (id, streamName and type must be strings, recordedAtMs a number)')
      }
      let entry = previous !== undefined && previous.name === streamName ? previous : this.#streams.get(streamName)
      const revision = entry === undefined ? 0 : entry.positions.length
      if (entry?.tombstoned === true) corrupt(position, `event in tombstoned stream ${JSON.stringify(streamName)}`)
      if (e.revision !== revision) corrupt(position, `stream ${JSON.stringify(streamName)} revision ${e.revision}, expected ${revision}`)
      let effect: SystemEffect | undefined
      let target: string | undefined
      let data = e.data
      if (streamName.startsWith('$')) {
        // A system event's data is needed now (logs leave it decoded; should one not, it is decoded here).
        if (data instanceof EncodedValue) data = this.#arena.decodeRange(data.bytes, data.start, data.end)
        target = targetOfMetadataStream(streamName)
        effect = target === undefined ? undefined : systemEffect(type, data)
        if (effect === undefined) corrupt(position, `unknown system event ${JSON.stringify(type)} in stream ${JSON.stringify(streamName)}`)
        if (this.#streams.get(target!)?.tombstoned === true) corrupt(position, `command on tombstoned stream ${JSON.stringify(target)}`)
      }
      // The id last among the checks: adding it is the duplicate check, and the columns below
      // must not fall behind it.
      if (idWords !== undefined) {
        // Replay with ids as words (encoded-value.ts): the log checked they are UUIDs.
        if (!this.#replaying) throw new Error('LocalIndex: ids as words are for replay only')
        this.#ids.addDeferredWords(idWords, 4 * i)
      } else if (this.#replaying) {
        if (!this.#ids.addDeferred(id)) corrupt(position, `event id ${JSON.stringify(id)} is not a UUID`)
      } else if (!this.#ids.add(id)) {
        corrupt(position, this.#ids.find(id) === 0 ? `event id ${JSON.stringify(id)} is not a UUID` : `event id ${id} appears twice in the log`)
      }
      if (entry === undefined) {
        // A literal of one: most streams of a busy store hold a few events, and an empty array
        // grows to 17 slots on its first push.
        entry = newEntry(streamName, [position])
        this.#streams.add(entry)
      } else {
        entry.positions.push(position)
      }
      const at = position - 1
      put(this.#idStrings, at, undefined)
      put(this.#types, at, type === lastType ? lastInterned : (lastInterned = this.#intern((lastType = type))))
      if (data instanceof EncodedValue) {
        // Kept encoded; decoded when the event is first read (#dataAt).
        this.#dataHandle[position - 1] = this.#arena.add(data.bytes, data.start, data.end)
        this.#dataLength[position - 1] = data.end - data.start
        put(this.#data, at, ENCODED)
      } else {
        put(this.#data, at, deepFreeze(data))
      }
      put(this.#metadata, at, deepFreeze(e.metadata))
      put(this.#streamOf, at, entry)
      this.#revisions[position - 1] = e.revision
      this.#recordedAtMs[position - 1] = e.recordedAtMs
      this.#count = position
      if (effect !== undefined) this.#applyEffect(target!, effect)
      previous = entry
    }
  }

  #applyEffect(target: string, effect: SystemEffect): void {
    let entry = this.#streams.get(target)
    if (entry === undefined) {
      entry = newEntry(target, [])
      this.#streams.add(entry)
    }
    switch (effect.kind) {
      case 'metadata':
        entry.metadata = effect.metadata
        return
      case 'delete':
        entry.deletedBefore = effect.deletedBefore
        ;(entry.deleteBoundaries ??= []).push(effect.deletedBefore)
        return
      case 'tombstone':
        entry.tombstoned = true
        return
    }
  }

  /** Typed columns of at least `count` events (doubling, so appends grow them rarely). */
  #grow(count: number): void {
    let length = this.#capacity
    while (length < count) length *= 2
    this.#capacity = length
    const revisions = new Float64Array(length)
    revisions.set(this.#revisions)
    this.#revisions = revisions
    const recordedAtMs = new Float64Array(length)
    recordedAtMs.set(this.#recordedAtMs)
    this.#recordedAtMs = recordedAtMs
    const dataHandle = new Float64Array(length)
    dataHandle.set(this.#dataHandle)
    this.#dataHandle = dataHandle
    const dataLength = new Int32Array(length)
    dataLength.set(this.#dataLength)
    this.#dataLength = dataLength
  }

  #intern(type: string): string {
    const known = this.#typeNames.get(type)
    if (known !== undefined) return known
    if (this.#typeNames.size < MAX_INTERNED_TYPES) this.#typeNames.set(type, type)
    return type
  }
}

/** `column[at] = value`, `at` being at most the column's length (a column sized up front, or grown by push). */
function put<T>(column: T[], at: number, value: T): void {
  if (at < column.length) column[at] = value
  else column.push(value)
}

function corrupt(position: number, reason: string): never {
  throw new EventStoreCorruptError(`event at position ${position}: ${reason}`)
}

function newEntry(name: string, positions: number[]): StreamEntry {
  return { name, positions, deletedBefore: undefined, deleteBoundaries: undefined, tombstoned: false, metadata: undefined }
}
