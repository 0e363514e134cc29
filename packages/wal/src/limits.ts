/**
 * Named limits (TIGER_STYLE: a limit on everything). Inputs over a limit are rejected with
 * `InvalidArgumentError` before anything is written; bytes over a limit read back from disk are
 * corruption.
 */

/** Largest key, in bytes. */
export const WAL_MAX_KEY_BYTES = 64 * 1024

/** Largest value, in bytes. */
export const WAL_MAX_VALUE_BYTES = 8 * 1024 * 1024

/** Most operations in one `appendBatch`. */
export const WAL_MAX_BATCH_ENTRIES = 10_000

/** Most encoded bytes (frames of all records plus the COMMIT) in one `appendBatch`. */
export const WAL_MAX_BATCH_BYTES = 32 * 1024 * 1024

/** Default size at which a segment is rolled. */
export const WAL_DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024

/**
 * Zeroed free space kept after the last record of the active segment under sync 'always'
 * (FORMAT.md, "Free space"): the segment grows by this much at once, so that most fdatasyncs
 * overwrite allocated space and have no new file length to commit (issue 17: on ext4 an
 * fdatasync that also commits a size change costs a journal commit). The NDJSON log's default
 * `preallocateBytes` is the same.
 */
export const WAL_PREALLOCATE_BYTES = 1024 * 1024

/** Smallest and largest accepted `segmentBytes`. */
export const WAL_MIN_SEGMENT_BYTES = 1024
/** Largest accepted `segmentBytes` (1 GiB). */
export const WAL_MAX_SEGMENT_BYTES = 1024 * 1024 * 1024

/**
 * Bytes read from a segment per `read` call during recovery and replay. Big enough that a read
 * costs little per entry, small enough that a chunk's decoded entries die young: with 4 MiB
 * chunks the ~30 k entries of a chunk outlived V8's young generation and replay spent most of
 * its time in the garbage collector (measured: ~0.7 M/s against ~1.4 M/s CPU-bound at 256 KiB).
 */
export const WAL_READ_CHUNK_BYTES = 256 * 1024

/** Largest sequence number (sequence numbers are JavaScript safe integers). */
export const WAL_MAX_SEQ = Number.MAX_SAFE_INTEGER

/**
 * Largest frame payload readers accept (the codec's default, 16 MiB). A record never needs more:
 * a PUT payload is at most 26 + WAL_MAX_KEY_BYTES + WAL_MAX_VALUE_BYTES bytes.
 */
export const WAL_MAX_FRAME_BYTES = 16 * 1024 * 1024

/**
 * Default `maxQueuedOperations`: appends and batches accepted and not yet acknowledged. One more is
 * refused with `WalOverloadedError` (`OVERLOADED`). About 0.3 KiB of heap each besides its bytes.
 */
export const WAL_DEFAULT_MAX_QUEUED_OPERATIONS = 65_536

/**
 * Default `maxQueuedBytes`: encoded bytes of the operations accepted and not yet acknowledged
 * (what waits for the disk, plus the group being written). Once this many wait, the next one is
 * refused: at most this plus one operation wait.
 */
export const WAL_DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024
