import type { StoredSnapshot } from '../driver.js'
import { InvalidArgumentError, StreamNotFoundError } from '../errors.js'
import type { RecordedEvent } from '../types.js'
import { AGGREGATE_SNAPSHOT_CACHE_ENTRIES, MAX_SCHEMA_VERSION, MAX_SNAPSHOT_EVERY } from '../subscriptions/limits.js'

/**
 * Snapshotting of one aggregate type (the Python eventsourcing library's
 * `snapshotting_intervals` + `class_version`/upcasting, on `@quire/snapshots`).
 */
export interface AggregateSnapshotOptions<State> {
  /**
   * Save a snapshot after a load that folded at least this many events (not counting the
   * snapshot's). Integer 1..{@link MAX_SNAPSHOT_EVERY}.
   */
  readonly every: number
  /** Version of the state's shape, integer 0..2^32-1. Bump it when `State` changes. */
  readonly schemaVersion: number
  /**
   * Turns a snapshot of an older `schemaVersion` into today's state. Without it, such a
   * snapshot is ignored and the stream replayed; if it throws, likewise.
   */
  readonly upgrade?: (state: unknown, fromSchemaVersion: number) => State
}

/** Options of `aggregateStream` (Emmett's names). */
export interface AggregateStreamOptions<State, Event extends RecordedEvent = RecordedEvent> {
  /** A fresh state (called for every load; must not return a shared object you mutate). */
  readonly initialState: () => State
  /** Applies one event; synchronous. */
  readonly evolve: (state: State, event: Event) => State
  readonly snapshot?: AggregateSnapshotOptions<State>
}

/** What `aggregateStream` resolves with. */
export interface AggregateStreamResult<State> {
  readonly state: State
  /** Revision of the last event folded, `'no_stream'` when the stream has no visible event. */
  readonly currentRevision: number | 'no_stream'
  readonly streamExists: boolean
  /** Revision the snapshot used covered; `undefined` when the stream was replayed from its start. */
  readonly fromSnapshot: number | undefined
}

/**
 * What the loader needs of the store: its `readStream` (so retention, soft delete and
 * tombstones apply exactly as they do for readers) and the driver's snapshots.
 */
export interface AggregateSource {
  /** The facade's `readStream`; throws `STREAM_NOT_FOUND` / `STREAM_DELETED` on the first pull. */
  readStream(streamName: string, options: { readonly fromRevision?: 'start' | number; readonly maxCount?: number }): AsyncIterable<RecordedEvent>
  loadSnapshot(key: string): Promise<StoredSnapshot | undefined>
  saveSnapshot(key: string, snapshot: StoredSnapshot): Promise<void>
}

/** Snapshot key of an aggregate stream. */
export const aggregateKey = (streamName: string): string => `agg:${streamName}`

/** The snapshot's body: the state and what it must still match to be used. */
interface SnapshotBody {
  readonly state: unknown
  /** Id of the event at the covered revision: a soft delete + re-append changes it. */
  readonly eventId: string
  /** First revision folded into the state: a retention change that hides more changes it. */
  readonly firstRevision: number
}

interface UsableSnapshot<State> {
  readonly kind: 'usable'
  readonly state: State
  readonly revision: number
  readonly eventId: string
  readonly firstRevision: number
  /** Saved under an older `schemaVersion` and turned into today's state by `upgrade`. */
  readonly upgraded: boolean
}

/** `none`: no snapshot saved; `stale`: one that cannot be used (damaged, other schema, other stream history). */
type LoadedSnapshot<State> = { readonly kind: 'none' } | { readonly kind: 'stale' } | UsableSnapshot<State>

const NO_SNAPSHOT = { kind: 'none' } as const
const STALE = { kind: 'stale' } as const

interface Fold<State> {
  readonly state: State
  /** Revision of the last event read; `undefined` when the read found none. */
  readonly revision: number | undefined
  readonly lastId: string
  readonly firstRevision: number
  /** Events folded by `evolve` (the snapshot's own event not counted). */
  readonly folded: number
}

function checkOptions<State, Event extends RecordedEvent>(options: AggregateStreamOptions<State, Event>): void {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('aggregateStream options must be an object')
  if (typeof options.initialState !== 'function') throw new InvalidArgumentError('initialState must be a function')
  if (typeof options.evolve !== 'function') throw new InvalidArgumentError('evolve must be a function')
  const s = options.snapshot
  if (s === undefined) return
  if (!Number.isInteger(s.every) || s.every < 1 || s.every > MAX_SNAPSHOT_EVERY) {
    throw new InvalidArgumentError(`snapshot.every must be an integer in 1..${MAX_SNAPSHOT_EVERY}`)
  }
  if (!Number.isInteger(s.schemaVersion) || s.schemaVersion < 0 || s.schemaVersion > MAX_SCHEMA_VERSION) {
    throw new InvalidArgumentError(`snapshot.schemaVersion must be an integer in 0..${MAX_SCHEMA_VERSION}`)
  }
  if (s.upgrade !== undefined && typeof s.upgrade !== 'function') throw new InvalidArgumentError('snapshot.upgrade must be a function')
}

async function firstVisible(source: AggregateSource, streamName: string): Promise<RecordedEvent | undefined> {
  try {
    for await (const e of source.readStream(streamName, { fromRevision: 'start', maxCount: 1 })) return e
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined
    throw error
  }
  return undefined
}

/**
 * Loads aggregates from their newest snapshot plus the events after it ("snapshots are a
 * cache"). One per store; the facade's `aggregateStream` delegates here.
 */
export class AggregateLoader {
  readonly #source: AggregateSource
  readonly #saving = new Map<string, Promise<void>>()
  /**
   * The snapshots this loader last saved or read, by key, least recently used first: a load
   * then costs no read of the side store (Equinox's cache of folded state per stream). Entries
   * are private copies, never handed out (every use copies the state), and are verified against
   * the stream like a stored snapshot.
   */
  readonly #recent = new Map<string, StoredSnapshot>()

  constructor(source: AggregateSource) {
    this.#source = source
  }

  /**
   * Folds the stream's visible events (as `readStream` shows them) into a state.
   *
   * With `snapshot`: the newest snapshot is used when it loads, has `schemaVersion` (or
   * `upgrade` turns it into it), still matches the stream (the event at its revision has the
   * id it recorded, and the stream's first visible revision is the one it started from), and
   * the events after it are folded onto it. Any other snapshot is ignored and the stream
   * replayed from its start: the result is the same fold either way. After a load that folded
   * at least `every` events, a snapshot is saved in the background; a failed save is dropped.
   *
   * @throws StreamDeletedError the stream is tombstoned.
   * @throws InvalidArgumentError bad options. Errors of `evolve` and of reads pass through.
   */
  async aggregateStream<State, Event extends RecordedEvent = RecordedEvent>(
    streamName: string,
    options: AggregateStreamOptions<State, Event>,
  ): Promise<AggregateStreamResult<State>> {
    checkOptions(options)
    const notFound = (): AggregateStreamResult<State> => ({
      state: options.initialState(),
      currentRevision: 'no_stream',
      streamExists: false,
      fromSnapshot: undefined,
    })
    const first = await firstVisible(this.#source, streamName)
    if (first === undefined) return notFound()
    const snapshot = options.snapshot === undefined ? NO_SNAPSHOT : await this.#loadSnapshot(streamName, options.snapshot, first.revision)
    let fold = snapshot.kind === 'usable' ? await this.#fold(streamName, options, snapshot) : undefined
    const fromSnapshot = fold === undefined || snapshot.kind !== 'usable' ? undefined : snapshot.revision
    const stale = snapshot.kind === 'stale' || (snapshot.kind === 'usable' && (fold === undefined || snapshot.upgraded))
    fold ??= await this.#fold(streamName, options, undefined)
    // The stream vanished between the two reads (deleted meanwhile): as if absent.
    if (fold?.revision === undefined) return notFound()
    // A stale (or upgraded) snapshot is replaced whatever the count: the next load need not
    // miss (or upgrade) again.
    if (options.snapshot !== undefined && (fold.folded >= options.snapshot.every || stale)) {
      this.#saveInBackground(streamName, options.snapshot.schemaVersion, fold.state, fold.revision, fold.lastId, fold.firstRevision)
    }
    return { state: fold.state, currentRevision: fold.revision, streamExists: true, fromSnapshot }
  }

  /** Resolves when every background snapshot save has settled (the store's close waits). */
  async drain(): Promise<void> {
    while (this.#saving.size > 0) await Promise.allSettled([...this.#saving.values()])
  }

  /**
   * Folds the stream from its start, or onto `snapshot` from its revision on. `undefined` when
   * the snapshot does not match the stream (its event is gone or another one).
   */
  async #fold<State, Event extends RecordedEvent>(
    streamName: string,
    options: AggregateStreamOptions<State, Event>,
    snapshot: UsableSnapshot<State> | undefined,
  ): Promise<Fold<State> | undefined> {
    let state = snapshot?.state ?? options.initialState()
    let revision: number | undefined
    let lastId = ''
    let firstRevision = snapshot?.firstRevision
    let folded = 0
    for await (const e of this.#source.readStream(streamName, { fromRevision: snapshot?.revision ?? 'start' })) {
      if (snapshot !== undefined && revision === undefined) {
        // The read starts at the snapshot's revision: that event must be the one it covered.
        if (e.revision !== snapshot.revision || e.id !== snapshot.eventId) return undefined
      } else {
        state = options.evolve(state, e as Event)
        folded += 1
      }
      firstRevision ??= e.revision
      revision = e.revision
      lastId = e.id
    }
    if (snapshot !== undefined && revision === undefined) return undefined
    return { state, revision, lastId, firstRevision: firstRevision ?? 0, folded }
  }

  async #loadSnapshot<State>(
    streamName: string,
    options: AggregateSnapshotOptions<State>,
    firstRevision: number,
  ): Promise<LoadedSnapshot<State>> {
    const key = aggregateKey(streamName)
    let stored = this.#recent.get(key)
    if (stored === undefined) {
      try {
        stored = await this.#source.loadSnapshot(key)
      } catch {
        return STALE // unreadable: a cache miss
      }
      if (stored === undefined) return NO_SNAPSHOT
    }
    this.#remember(key, stored)
    const body = stored.state as Partial<SnapshotBody> | null
    if (typeof body !== 'object' || body === null || typeof body.eventId !== 'string' || body.firstRevision !== firstRevision) return STALE
    if (stored.position < BigInt(firstRevision) || stored.position > BigInt(Number.MAX_SAFE_INTEGER)) return STALE
    let state: State
    try {
      const copy = structuredClone(body.state)
      if (stored.schemaVersion === options.schemaVersion) state = copy as State
      else if (options.upgrade !== undefined && stored.schemaVersion < options.schemaVersion) state = options.upgrade(copy, stored.schemaVersion)
      else return STALE
    } catch {
      return STALE
    }
    const upgraded = stored.schemaVersion !== options.schemaVersion
    return { kind: 'usable', state, revision: Number(stored.position), eventId: body.eventId, firstRevision, upgraded }
  }

  #remember(key: string, snapshot: StoredSnapshot): void {
    this.#recent.delete(key)
    this.#recent.set(key, snapshot)
    if (this.#recent.size > AGGREGATE_SNAPSHOT_CACHE_ENTRIES) {
      const oldest = this.#recent.keys().next()
      if (oldest.done !== true) this.#recent.delete(oldest.value)
    }
  }

  #saveInBackground(streamName: string, schemaVersion: number, state: unknown, revision: number, eventId: string, firstRevision: number): void {
    const key = aggregateKey(streamName)
    if (this.#saving.has(key)) return // one save per stream at a time; the next load saves again
    let body: SnapshotBody
    try {
      // Copied now: the caller owns `state` and may change it after the load resolves.
      body = { state: structuredClone(state), eventId, firstRevision }
    } catch {
      return
    }
    const snapshot: StoredSnapshot = { position: BigInt(revision), schemaVersion, state: body }
    this.#remember(key, snapshot)
    const saving = (async () => {
      try {
        await this.#source.saveSnapshot(key, snapshot)
      } catch {
        // A snapshot is a cache: a failed save costs replay at the next load, never this load.
      } finally {
        this.#saving.delete(key)
      }
    })()
    this.#saving.set(key, saving)
  }
}
