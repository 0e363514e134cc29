/**
 * Named limits and defaults (TIGER_STYLE: a limit on everything, with its name).
 */

/**
 * Most events one transaction (one append) may write: a position is `(xid << 16) | index`, so
 * 16 bits number the events of a transaction. `@quire/event-store` caps appends lower
 * (`MAX_APPEND_EVENTS`, 10 000); this is the backstop. 47 bits remain for the transaction id:
 * 1.4 × 10^14 transactions, 44 years at 100 000 transactions/s cluster-wide.
 */
export const MAX_EVENTS_PER_TRANSACTION = 65_535

/** Rows one read statement fetches (`readAll`, `readStream` page through keyset reads of this size). */
export const READ_PAGE_EVENTS = 1_000

/** Connections of the pool `postgresBackend` creates from a connection string. */
export const DEFAULT_POOL_SIZE = 10

/** A reader waiting for new events re-reads at least this often, notification or not (ms). */
export const DEFAULT_POLL_INTERVAL_MS = 200

/** Accepted range of `pollIntervalMs`. */
export const MIN_POLL_INTERVAL_MS = 10
export const MAX_POLL_INTERVAL_MS = 60_000
