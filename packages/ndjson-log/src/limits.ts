/** Default largest record, as its serialized JSON, in bytes (`maxRecordBytes`). */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024

/** The highest `maxRecordBytes` may be set to; readers accept lines up to this plus the envelope. */
export const MAX_RECORD_BYTES_LIMIT = 64 * 1024 * 1024

/** Bytes of envelope a line may add to its record (seq, batch, crc suffix, newline), generously. */
export const MAX_ENVELOPE_BYTES = 128

/** The longest line a reader accepts, newline excluded. */
export const MAX_LINE_BYTES = MAX_RECORD_BYTES_LIMIT + MAX_ENVELOPE_BYTES

/** Default most records in one `appendBatch` (`maxBatchRecords`). */
export const DEFAULT_MAX_BATCH_RECORDS = 10_000

/** The highest `maxBatchRecords` may be set to. */
export const MAX_BATCH_RECORDS_LIMIT = 1_000_000

/** The most bytes one group commit writes at once (a single batch larger than this goes alone). */
export const MAX_GROUP_BYTES = 8 * 1024 * 1024

/** Smallest allowed `maxFileBytes`: a header plus a little. */
export const MIN_FILE_BYTES = 256

/**
 * Bytes read from a file at a time when scanning it (more while a line longer than this is being
 * read). The lines of a chunk are held until it is done: at 1 MiB, thousands of them outlived
 * V8's young generation (as the WAL found for its replay).
 */
export const READ_CHUNK_BYTES = 256 * 1024

/** Default free space kept after the data with `sync: 'always'` (`preallocateBytes`). */
export const DEFAULT_PREALLOCATE_BYTES = 1024 * 1024

/** The most `preallocateBytes` may be. */
export const MAX_PREALLOCATE_BYTES = 64 * 1024 * 1024

/**
 * Default `maxQueuedOperations`: appends, batches and `sync()` calls accepted and not yet settled.
 * One more is refused with `OverloadedError` (`OVERLOADED`).
 */
export const DEFAULT_MAX_QUEUED_OPERATIONS = 65_536

/**
 * Default `maxQueuedBytes`: bytes of the lines accepted and not yet settled (waiting, or in the
 * group being written). Once this many wait, the next operation is refused (so at most this plus
 * one operation wait).
 */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024

/** Attempts at creating the lock directory and taking the lock while a closing writer removes it. */
export const LOCK_ATTEMPTS = 3

/** How many event-loop turns `read()` waits for the active file to reappear during a rotation. */
export const MAX_ROTATION_WAITS = 10_000

/**
 * Most records `read()` parses ahead of its caller. The records of a whole chunk (thousands)
 * outlived V8's young generation before the caller dropped them, and reading spent a fifth of
 * its time in the garbage collector.
 */
export const READ_BATCH_RECORDS = 256
