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

/** Largest `every.events` / `every.ms` a checkpoint or persist policy accepts. */
export const MAX_EVERY_EVENTS = 1_000_000
export const MAX_EVERY_MS = 24 * 60 * 60 * 1000

/** Default `maxRetries` of a `CommandHandler`, and the largest accepted. */
export const DEFAULT_COMMAND_RETRIES = 3
export const MAX_COMMAND_RETRIES = 100

/** Largest snapshot `every` and `schemaVersion` (the snapshot file stores a u32). */
export const MAX_SNAPSHOT_EVERY = 1_000_000_000
export const MAX_SCHEMA_VERSION = 2 ** 32 - 1
