/**
 * Named limits (TIGER_STYLE: a limit on everything). Input over a limit is refused before
 * anything is written: `INVALID_ARGUMENT` for names and options, `MAX_APPEND_SIZE_EXCEEDED`
 * (`AppendTooLargeError`) for the size of an append.
 *
 * Bytes of `data` and `metadata` are measured as the UTF-8 length of `@quire/codec`'s JSON
 * encoding, the same for every backend (a backend's own encoding may differ a little; the
 * embedded logs' limits are well above these).
 */

/** Longest stream name, in UTF-8 bytes (KurrentDB and Emmett do not bound it; a bound keeps keys and indexes small). */
export const MAX_STREAM_NAME_BYTES = 200

/** Longest event type, in UTF-8 bytes. */
export const MAX_EVENT_TYPE_BYTES = 256

/** Most events in one append (one `appendToStream`, or all requests of one `multiStreamAppend`); the WAL's batch limit. */
export const MAX_APPEND_EVENTS = 10_000

/** Most streams in one `multiStreamAppend`. */
export const MAX_APPEND_STREAMS = 1_000

/** Most bytes of one event's `data` plus `metadata`, JSON-encoded (the WAL takes values up to 8 MiB). */
export const MAX_EVENT_BYTES = 4 * 1024 * 1024

/** Most bytes of one append: every event's type, `data` and `metadata`, JSON-encoded (the WAL's batch limit is 32 MiB). */
export const MAX_APPEND_BYTES = 16 * 1024 * 1024

/** Most bytes of one event's `metadata`, JSON-encoded. */
export const MAX_METADATA_BYTES = 64 * 1024

/** Most bytes of a stream's metadata (`setStreamMetadata`, `custom` included), JSON-encoded. */
export const MAX_STREAM_METADATA_BYTES = 64 * 1024

/** Most prefixes in each list of an `$all` filter. */
export const MAX_FILTER_PREFIXES = 100

/**
 * Default `maxQueuedOperations` of `EventStore.open`: appends and stream commands called and not
 * yet settled. One more is refused at once with `OVERLOADED` (nothing written). A waiting append
 * holds its copied events, its place in the stream's queue and the log's request (a few KB for an
 * event of 1 KiB), so this bounds them at about 100 MB.
 */
export const DEFAULT_MAX_QUEUED_OPERATIONS = 16_384

/**
 * Default `maxQueuedBytes`: once the events of the appends waiting (measured as for
 * `MAX_APPEND_BYTES`) reach this, the next append is refused with `OVERLOADED` (at most this plus
 * one append wait).
 */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024

/** Longest durable subscription id and projection name, in UTF-8 bytes. */
export const MAX_SUBSCRIPTION_ID_BYTES = 200
