import { WAL_MAX_BATCH_BYTES, WAL_MAX_BATCH_ENTRIES } from '@quire/wal'

// Every limit and default of the store in one place, with its unit in its name (as in the WAL's
// limits.ts). The public ones are exported from the package root.

/** Longest key accepted, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024
/** Largest encoded value accepted, in bytes. */
export const MAX_VALUE_BYTES = 1024 * 1024
/** Most keys one transaction may write: its commit is one WAL batch of the writes plus a commit record. */
export const MAX_TX_WRITES = WAL_MAX_BATCH_ENTRIES - 1
/** Most bytes of keys and values one transaction may write, leaving room for the WAL's framing. */
export const MAX_TX_BYTES = WAL_MAX_BATCH_BYTES - 1024 * 1024
/** What one staged write is counted as besides its key and value (entry header, frame). */
export const WRITE_OVERHEAD_BYTES = 64
/** Keys a scan takes from the index per step. */
export const SCAN_CHUNK_KEYS = 256

/** Default `txTimeoutMs`: a transaction open longer than this is aborted. */
export const DEFAULT_TX_TIMEOUT_MS = 60_000
/**
 * Default `maxQueuedOperations`: commits validated and not yet durable and visible. One more is
 * refused with `OverloadedError` (`OVERLOADED`) and its transaction aborted. Lower than the WAL's
 * default because a waiting commit holds more than its WAL frames (its versions, write set and
 * requests: measured ~6.5 KB for a one-key commit of 1 KiB), so this bounds those at ~110 MB.
 */
export const DEFAULT_MAX_QUEUED_COMMITS = 16_384
/** Default `maxQueuedBytes`: once this many WAL bytes of those commits wait, the next commit is refused. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024

/** How many times `MvccStore.transaction` retries after a `ConflictError` by default. */
export const DEFAULT_RETRIES = 10
/** Ceiling of the randomized exponential backoff between retries, in milliseconds. */
export const MAX_BACKOFF_MS = 100

/** `begin` looks for expired transactions at most this often, in milliseconds. */
export const EXPIRE_CHECK_MS = 50
/** Compact the GC queue once this many processed entries sit at its head. */
export const GC_COMPACT_AT = 4096
