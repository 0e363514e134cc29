/**
 * The event store's public data shapes. Names follow KurrentDB where it has one (`revision`,
 * `position`, `expectedRevision`, `$all`), Emmett for the aggregate side.
 */

/**
 * A value the store accepts as event `data`, `metadata` or stream `custom` metadata: what
 * `@quire/codec`'s JSON codec accepts (plain objects, arrays, strings, finite numbers, booleans,
 * `null`, and `Date`s, which round-trip). Validated before anything is written.
 */
export type JsonValue = unknown

/** An event to append. */
export interface EventData<Type extends string = string, Data = JsonValue, Meta = JsonValue> {
  /**
   * The event id: a UUID (any version, lowercase or uppercase; stored lowercase). Generated (v4)
   * when absent. Ids are unique store-wide and are the idempotency key (see the README's rule).
   */
  readonly id?: string
  /** Event type, 1..{@link MAX_EVENT_TYPE_BYTES} bytes of UTF-8. */
  readonly type: Type
  readonly data: Data
  /** By convention `correlationId`, `causationId`, ...; at most {@link MAX_METADATA_BYTES} encoded. */
  readonly metadata?: Meta
}

/** An event as stored. */
export interface RecordedEvent<Type extends string = string, Data = JsonValue, Meta = JsonValue> {
  /** The event id, a lowercase UUID. */
  readonly id: string
  readonly type: Type
  readonly data: Data
  /** `undefined` when the event was appended without metadata. */
  readonly metadata: Meta | undefined
  readonly streamName: string
  /** 0-based place in its stream. */
  readonly revision: number
  /** Place in the global log (`$all`): strictly increasing in `$all` order, never reused. */
  readonly position: bigint
  /** The store's clock when the append was accepted; information only, not an order. */
  readonly recordedAt: Date
}

/**
 * What an append expects of the stream, checked against committed state:
 * - `'any'` (default): no check;
 * - `'no_stream'`: the stream has no event (never written, or soft-deleted with nothing after);
 * - `'stream_exists'`: the stream has at least one visible event;
 * - a number `n >= 0`: the stream's last revision is exactly `n`.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number

/** `expectedRevision: ANY`: no check (the default). */
export const ANY = 'any'
/** `expectedRevision: NO_STREAM`: the stream shows no event. */
export const NO_STREAM = 'no_stream'
/** `expectedRevision: STREAM_EXISTS`: the stream shows at least one event. */
export const STREAM_EXISTS = 'stream_exists'
/** The beginning of a stream or of `$all` (`fromRevision`, `fromPosition`, a subscription's start). */
export const START = 'start'
/** The end of a stream or of `$all`. */
export const END = 'end'
/** Reads in ascending order (the default). */
export const FORWARDS = 'forwards'
/** Reads in descending order. */
export const BACKWARDS = 'backwards'

/** The order of a read: `'forwards'` (ascending revision or position) or `'backwards'`. */
export type Direction = 'forwards' | 'backwards'

/** What one stream's append did. */
export interface AppendResult {
  /** Revision of the last event now in the stream. */
  readonly nextExpectedRevision: number
  /** Position of the last event this append wrote (or, for a replay, had written). */
  readonly position: bigint
  /** True when every event was already there (an exact retry): nothing was written. */
  readonly idempotentReplay: boolean
}

/** One request of {@link EventStore.multiStreamAppend}. */
export interface AppendRequest {
  readonly streamName: string
  readonly events: readonly EventData[]
  /** Default `'any'`. */
  readonly expectedRevision?: ExpectedRevision
}

/** Result of a multi-stream append: one result per request, in request order. */
export interface MultiAppendResult {
  /** Position of the last event written by the whole call. */
  readonly position: bigint
  readonly results: readonly AppendResult[]
}

/**
 * A stream's state as `getStreamState` reports it:
 * - `no_stream`: never had an event;
 * - `exists`: has visible events, the last at `revision`;
 * - `deleted`: soft-deleted; `revision` is the last revision it had (the next append continues
 *   at `revision + 1`);
 * - `tombstoned`: hard-deleted, refused forever.
 */
export type StreamState =
  | { readonly state: 'no_stream' }
  | { readonly state: 'exists'; readonly revision: number }
  | { readonly state: 'deleted'; readonly revision: number }
  | { readonly state: 'tombstoned' }

/**
 * Per-stream metadata (KurrentDB's names). Retention hides events from `readStream` and
 * `aggregateStream`; `$all` still shows them (see the README on reclaiming space).
 */
export interface StreamMetadata {
  /** Hide events older than this many seconds (by `recordedAt`). Integer >= 1. */
  readonly maxAge?: number
  /** Show only the newest `maxCount` events. Integer >= 1. */
  readonly maxCount?: number
  /** Hide events with a revision below this. Integer >= 0. */
  readonly truncateBefore?: number
  /** Anything the application wants to keep with the stream. */
  readonly custom?: JsonValue
}

/** Filter for `$all` reads and subscriptions. An event passes if it matches every given list. */
export interface AllFilter {
  /** Pass events whose stream name starts with one of these. */
  readonly streamNamePrefix?: readonly string[]
  /** Pass events whose type starts with one of these. */
  readonly eventTypePrefix?: readonly string[]
  /**
   * Let events of system streams (names starting with `$`, such as the `$$<stream>` streams that
   * hold stream metadata, deletes and tombstones) through. Default false.
   */
  readonly includeSystem?: boolean
}

/**
 * A durable subscription's place: the last event its handler finished. The id guards against a
 * log that was rewritten under it (a restored backup, point-in-time recovery).
 */
export interface Checkpoint {
  readonly position: bigint
  readonly eventId: string
}
