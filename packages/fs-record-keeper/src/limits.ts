/** Largest event file, in bytes (the JSON of the event plus about 140 bytes of framing). */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024

/** Smallest `maxEventBytes`: room for the framing of an event file and a small event. */
export const MIN_EVENT_BYTES = 256

/** Most events written, synced and linked as one group. */
export const MAX_GROUP_EVENTS = 256

/**
 * Events linked between two writes of the `rk/tail` hint (and at `close`). A write per group
 * would cost two syncs per add, as many as the add; recovery finds the true tail from the links,
 * and a lagging hint only makes the directory syncs of its step 4 run over more events.
 */
export const TAIL_HINT_EVENTS = 1024

/** Most event files read at once while recovering or walking. */
export const READ_CONCURRENCY = 32

/** Most directories listed at once while scanning a prefix tree. */
export const SCAN_CONCURRENCY = 16

/** Largest depot object, in content bytes (1 GiB). */
export const DEFAULT_MAX_OBJECT_BYTES = 1024 * 1024 * 1024

/** Content bytes covered by one crc32 in a depot object's trailer. */
export const DEPOT_BLOCK_BYTES = 65536

/** Largest single depot write or read, in bytes (64 MiB): bigger ones are split by the caller. */
export const MAX_IO_BYTES = 64 * 1024 * 1024

/**
 * Default `maxQueuedOperations` of `RecordKeeper` and `Depot`: operations accepted and not yet
 * settled. One more is refused with `OVERLOADED`.
 */
export const DEFAULT_MAX_QUEUED_OPERATIONS = 65_536

/**
 * Default `maxQueuedBytes`: bytes of those operations (event JSON; depot write content). Once this
 * many wait, the next operation is refused (so at most this plus one operation wait).
 */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024
