/** Longest key, in UTF-8 bytes: its hex directory name (`k-` + 240 digits) fits a 255-byte file name. */
export const MAX_KEY_BYTES = 120

/** Default largest encoded state a store writes or reads (1 GiB); `maxStateBytes` changes it. */
export const DEFAULT_MAX_STATE_BYTES = 2 ** 30

/** Hard ceiling for `maxStateBytes` (4 GiB − 1: Node's largest single buffer on 64-bit). */
export const MAX_STATE_BYTES_LIMIT = 2 ** 32 - 1

/** Default number of older snapshots retained per key besides the newest one. */
export const DEFAULT_KEEP = 2

/** Largest `keep`: retaining more is a sign of a bug, and every save lists them all. */
export const MAX_KEEP = 1000

/** Largest schema version (u32 in the file). */
export const MAX_SCHEMA_VERSION = 2 ** 32 - 1

/** Schema version stored when `save` is not given one. */
export const DEFAULT_SCHEMA_VERSION = 1

/** States up to this size are written with one `write` of one buffer; larger ones in three writes, uncopied. */
export const SINGLE_WRITE_MAX_BYTES = 8 * 2 ** 20

/** How many times `load` re-lists a key whose files vanished under it (pruned by a concurrent save). */
export const LOAD_RELIST_ATTEMPTS = 8

/** Default number of keys whose listing (and save queue) a store keeps in memory. */
export const DEFAULT_CACHED_KEYS = 4096

/** Largest `cachedKeys`. */
export const MAX_CACHED_KEYS = 2 ** 20

/** Default `maxQueuedOperations`: saves and deletes accepted and not yet settled, all keys together. */
export const DEFAULT_MAX_QUEUED_OPERATIONS = 65_536

/** Default `maxQueuedBytes`: once this many encoded bytes of saves wait, the next save is refused (at most this plus one save wait). */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 2 ** 20

/** Bytes read from a file this process never verified, to tell a newer release's file (magic + version) from damage. */
export const FORMAT_PROBE_BYTES = 16
