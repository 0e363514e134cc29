/**
 * Named limits of the read side (TIGER_STYLE: a limit on everything, with its name).
 */

/**
 * Events one keyset read fetches for a subscription, a durable subscription or a projection.
 * It is also the most events a subscription holds in memory at once: a page is read only when
 * the previous one was consumed, so a slow consumer never makes the buffer grow.
 */
export const SUBSCRIPTION_PAGE_EVENTS = 256

/**
 * Default for inline projections without `persist`: their state is saved as a snapshot after
 * this many applied events (off the append's critical path) and when the projection stops.
 */
export const INLINE_PROJECTION_DEFAULT_PERSIST_EVENTS = 1000

/** Largest `every.events` a checkpoint or persist policy accepts. */
export const MAX_EVERY_EVENTS = 1_000_000

/** Largest `every.ms` a checkpoint or persist policy accepts (one day). */
export const MAX_EVERY_MS = 24 * 60 * 60 * 1000

/** Default `maxRetries` of a `CommandHandler` (so at most 4 attempts). */
export const DEFAULT_COMMAND_RETRIES = 3

/** Largest `maxRetries` of a `CommandHandler`. */
export const MAX_COMMAND_RETRIES = 100

/** Largest aggregate snapshot `every`. */
export const MAX_SNAPSHOT_EVERY = 1_000_000_000

/** Largest projection `version` and aggregate snapshot `schemaVersion` (the snapshot file stores a u32). */
export const MAX_SCHEMA_VERSION = 2 ** 32 - 1

/**
 * Aggregate snapshots an `aggregateStream` loader keeps in memory (least recently used out), so
 * a load from a snapshot reads no file. Each entry holds one copy of a state.
 */
export const AGGREGATE_SNAPSHOT_CACHE_ENTRIES = 1000
