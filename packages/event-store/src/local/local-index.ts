import type { StoredEvent } from '../commit-log.js'
import type { StreamInfo } from '../driver.js'
import { EventStoreCorruptError } from '../errors.js'
import type { RecordedEvent, StreamMetadata } from '../types.js'
import { deepFreeze } from './deep-freeze.js'
import { metadataStreamOf, systemEffect, targetOfMetadataStream, type SystemEffect } from './system-events.js'

/**
 * One event as the index keeps it. Compact on purpose: position is the event's place in the
 * index's array and `recordedAt` a number, so no `bigint` or `Date` is held per event; a
 * {@link RecordedEvent} is made on each read (measured: about 130 bytes less per event than
 * holding finished `RecordedEvent`s, for about 0.1 µs per event read).
 */
class IndexedEvent {
  constructor(
    readonly id: string,
    readonly type: string,
    readonly data: unknown,
    readonly metadata: unknown,
    readonly streamName: string,
    readonly revision: number,
    readonly recordedAtMs: number,
  ) {}
}

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

/** Stream types are few; interning them keeps one string per type instead of one per replayed event. */
const MAX_INTERNED_TYPES = 10_000

/**
 * The LocalDriver's memory: every event (readable by position), the stream index and the id
 * index. Changed only by {@link LocalIndex.apply} with a commit the log acknowledged (or
 * replayed), which checks the commit first and then applies it whole, so memory is never half
 * a commit. Positions are held as numbers (exact up to 2^53).
 */
export class LocalIndex {
  readonly #events: IndexedEvent[] = []
  readonly #streams = new Map<string, StreamEntry>()
  /** Event id -> position. */
  readonly #ids = new Map<string, number>()
  readonly #types = new Map<string, string>()

  /** Highest position applied, 0 when empty. */
  get lastPosition(): number {
    return this.#events.length
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
    const position = this.#ids.get(id)
    if (position === undefined) return undefined
    const e = this.#events[position - 1]!
    return { streamName: e.streamName, revision: e.revision, position }
  }

  /** The event at `position` (1-based), or `undefined`. */
  eventAt(position: number): RecordedEvent | undefined {
    const e = this.#events[position - 1]
    return e === undefined ? undefined : materialize(e, position)
  }

  /** The raw event at `position`, for filters that must not build a RecordedEvent per event. */
  rawAt(position: number): { readonly streamName: string; readonly type: string } | undefined {
    return this.#events[position - 1]
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
   * commit that fails a check throws `EVENT_STORE_CORRUPT`, possibly half applied, so the index
   * must not be used after that: on replay the open fails; live (a bug), the driver refuses
   * every later write. One pass, no allocation beyond what is kept: replay is the open time.
   *
   * Returns the commit's events as recorded when `recorded` is true (live appends), else an empty
   * array (replay: building a RecordedEvent per replayed event would be wasted work).
   */
  apply(events: readonly StoredEvent[], firstPosition: bigint, recorded = true): RecordedEvent[] {
    const first = Number(firstPosition)
    if (first !== this.#events.length + 1) {
      throw new EventStoreCorruptError(`commit at position ${firstPosition} does not follow position ${this.#events.length} (a hole or an overlap in the log)`)
    }
    if (events.length === 0) throw new EventStoreCorruptError(`commit at position ${firstPosition} has no events`)
    const out: RecordedEvent[] = recorded ? new Array<RecordedEvent>(events.length) : []
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!
      const position = first + i
      const { id, streamName, type } = e
      if (typeof id !== 'string' || typeof streamName !== 'string' || typeof type !== 'string' || typeof e.recordedAtMs !== 'number') {
        corrupt(position, 'malformed (id, streamName and type must be strings, recordedAtMs a number)')
      }
      if (this.#ids.has(id)) corrupt(position, `event id ${id} appears twice in the log`)
      let entry = this.#streams.get(streamName)
      if (entry === undefined) {
        entry = newEntry(streamName)
        this.#streams.set(streamName, entry)
      } else if (entry.tombstoned) {
        corrupt(position, `event in tombstoned stream ${JSON.stringify(streamName)}`)
      }
      if (e.revision !== entry.positions.length) {
        corrupt(position, `stream ${JSON.stringify(streamName)} revision ${e.revision}, expected ${entry.positions.length}`)
      }
      let effect: SystemEffect | undefined
      let target: string | undefined
      if (streamName.startsWith('$')) {
        target = targetOfMetadataStream(streamName)
        effect = target === undefined ? undefined : systemEffect(type, e.data)
        if (effect === undefined) corrupt(position, `unknown system event ${JSON.stringify(type)} in stream ${JSON.stringify(streamName)}`)
        if (this.#streams.get(target!)?.tombstoned === true) corrupt(position, `command on tombstoned stream ${JSON.stringify(target)}`)
      }
      entry.positions.push(position)
      const indexed = new IndexedEvent(id, this.#intern(type), deepFreeze(e.data), deepFreeze(e.metadata), entry.name, e.revision, e.recordedAtMs)
      this.#events.push(indexed)
      this.#ids.set(id, position)
      if (effect !== undefined) this.#applyEffect(target!, effect)
      if (recorded) out[i] = materialize(indexed, position)
    }
    return out
  }

  #applyEffect(target: string, effect: SystemEffect): void {
    let entry = this.#streams.get(target)
    if (entry === undefined) {
      entry = newEntry(target)
      this.#streams.set(target, entry)
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

  #intern(type: string): string {
    const known = this.#types.get(type)
    if (known !== undefined) return known
    if (this.#types.size < MAX_INTERNED_TYPES) this.#types.set(type, type)
    return type
  }
}

function corrupt(position: number, reason: string): never {
  throw new EventStoreCorruptError(`event at position ${position}: ${reason}`)
}

function newEntry(name: string): StreamEntry {
  return { name, positions: [], deletedBefore: undefined, deleteBoundaries: undefined, tombstoned: false, metadata: undefined }
}

/** A fresh RecordedEvent over the frozen data of an indexed one. */
function materialize(e: IndexedEvent, position: number): RecordedEvent {
  return {
    id: e.id,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    streamName: e.streamName,
    revision: e.revision,
    position: BigInt(position),
    recordedAt: new Date(e.recordedAtMs),
  }
}

