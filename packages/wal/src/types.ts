import type { RecoveryActionKind, RecoveryMode } from '@quire/durable'
import type { FileSystem, OpenModeOptions } from '@quire/vfs'

/** An operation to log: a put of `value` under `key`, or a delete (a tombstone) of `key`. */
export type WalOp =
  | { readonly op: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly key: Uint8Array; readonly value?: null | undefined }

/** One committed entry of the log. */
export interface WalEntry {
  /**
   * Strictly increasing across the whole log, never reused (also not after a restart; under
   * `sync: 'none'` the seqs of entries a power loss took back are given again).
   */
  readonly seq: number
  /** Milliseconds since the epoch when the operation was accepted (`opts.now()`). */
  readonly timestampMs: number
  readonly op: 'put' | 'delete'
  readonly key: Uint8Array
  /** The value of a put; `null` for a delete. */
  readonly value: Uint8Array | null
  /** True for a delete. */
  readonly isTombstone: boolean
}

/**
 * What `open` does when it finds corruption in the middle of the log (a torn tail left by a
 * crash is always cut off, in every mode, and reported):
 * - `'strict'` (default): fail with `WalCorruptError` naming the segment and offset;
 * - `'point-in-time'`: keep every committed entry before the corruption, drop everything after
 *   it (durably), and report it;
 * - `'skip-corrupt'`: skip the bad frames (and any batch they break), keep everything else,
 *   and report what was skipped. The bad bytes stay in the file; replay skips them again.
 *
 * The same type as `RecoveryMode` of `@quire/durable`, which the NDJSON log shares.
 */
export type WalRecoveryMode = RecoveryMode

/**
 * Options of `Wal.open`. Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`: an empty log is created
 * when nothing, or an empty directory, is at the path; `false`: `NOT_FOUND` instead),
 * `errorIfExists` (default `false`: `EXISTS` when the directory holds anything), `readOnly`
 * (default `false`: with `true`, no lock is taken and nothing is written, not even recovery's
 * repairs; a torn tail is read past in memory; `append`, `appendBatch` and `truncateBefore`
 * reject with `READ_ONLY`; works on a read-only copy and next to a live writer).
 */
export interface WalOptions extends OpenModeOptions {
  /** File system to use (default: the real one, `new NodeFileSystem()`). */
  readonly fs?: FileSystem
  /**
   * `'always'` (default): an append resolves only once its bytes are durable (`fdatasync`).
   * `'none'`: it resolves once the OS has the bytes; a crash may lose the latest appends (never
   * a part of a batch, never anything in the middle).
   */
  readonly sync?: 'always' | 'none'
  /** A segment is rolled once it would grow past this many bytes (default 64 MiB). */
  readonly segmentBytes?: number
  /** See {@link WalRecoveryMode}; default `'strict'`. */
  readonly recovery?: WalRecoveryMode
  /** Clock for `timestampMs` (default `Date.now`). Must return a non-negative finite number. */
  readonly now?: () => number
  /**
   * Seqs up to this one were given out already, whatever the log holds (default 0). If the
   * recovered log ends before it — under `sync: 'none'` a power loss can take back entries whose
   * seqs a caller recorded elsewhere (a checkpoint) — `open` truncates up to it (it writes the
   * floor there, durably) and the next append gets `minLastSeq + 1`: a seq is never given twice.
   * Entries at or below it that the log still holds are truncated too.
   */
  readonly minLastSeq?: number
  /**
   * Most appends and batches accepted and not yet acknowledged (default 65 536,
   * `WAL_DEFAULT_MAX_QUEUED_OPERATIONS`; 1 .. 2^53 − 1). One more rejects at once with
   * `WalOverloadedError` (`OVERLOADED`), nothing written: memory stays bounded when producers
   * outrun the disk.
   */
  readonly maxQueuedOperations?: number
  /**
   * Encoded bytes of operations accepted and not yet acknowledged at which the next operation
   * rejects at once with `WalOverloadedError` (default 64 MiB, `WAL_DEFAULT_MAX_QUEUED_BYTES`;
   * 1 .. 2^53 − 1): at most this plus one operation (a batch is at most 32 MiB) wait.
   */
  readonly maxQueuedBytes?: number
  /**
   * How a durable group reaches the disk:
   *
   * - `'async'` (default): through Node's thread pool, as one `O_DSYNC` write. The event loop
   *   never waits for the disk; a lone writer pays a thread-pool round trip per put (about
   *   35-50 µs on a small VM, a third of an SSD's sync).
   * - `'inline'`: **blocks the event loop for one device sync per lone operation.** A group
   *   of one append (or one batch) that fits the segment's free space is written synchronously
   *   on the calling thread, through a second descriptor opened with `O_DSYNC`, as
   *   better-sqlite3 commits every transaction: no thread-pool hop, so one writer at a time
   *   gets the synchronous loop's rate. Nothing else in the process runs meanwhile (timers,
   *   sockets, other stores), and callers woken by I/O in separate event-loop callbacks each pay
   *   their own blocking sync instead of sharing a group. Groups of several operations (callers
   *   chained on promises, `Promise.all`, work arriving while a write is in flight), writes that
   *   grow the segment (its free space, every 1 MiB) and segment rolls stay asynchronous.
   *   Needs `sync: 'always'` and the real file system (no `fs` option, or a `NodeFileSystem`).
   *
   * Durability is the same in both: an append resolves only after its bytes are durable.
   * @throws `InvalidArgumentError` from `open` for `'inline'` with `sync: 'none'` or another `fs`.
   */
  readonly io?: 'async' | 'inline'
  /**
   * Called during `open` with the log's committed entries, so that a caller rebuilding state from
   * the whole log reads it once (recovery reads and checks every record anyway) instead of
   * replaying it again after `open`. Each call gets one array per read chunk (up to 256 KiB of
   * frames, `WAL_READ_CHUNK_BYTES`), never empty, ascending seq; the arrays and entries are the
   * callee's to keep, with keys and values views of buffers never reused (as
   * {@link Wal.replayChunks} gives them).
   *
   * What it gets, in every `recovery` mode and for a `readOnly` open, is exactly what
   * `replayChunks()` right after `open` would yield: only entries above the truncation floor
   * (a batch `truncateBefore` cut through comes whole, as replay gives it); a batch only whole,
   * once its COMMIT was read; nothing a torn tail cut, nothing `'point-in-time'` dropped (the
   * cut always lies after every entry already given), and in `'skip-corrupt'` the entries replay
   * would give past what is skipped. It is called while the segments are scanned, except when
   * `minLastSeq` lies above the floor on disk (the floor may still move past the entries): then
   * it is called after recovery, from a second read of the log, before `open` resolves.
   *
   * When it throws, or when `open` fails after calling it (`WalCorruptError` under `'strict'`
   * found further on), `open` rejects (with its error) and what it was given must be dropped:
   * repairs recovery made before stay, as any open would make them. Default: not called.
   */
  readonly onRecover?: (entries: WalEntry[]) => void
}

/** Options of `Wal.replay`. Unknown keys are refused (`INVALID_ARGUMENT`). */
export interface ReplayOptions {
  /** Replay entries with `seq >= fromSeq` (default: every entry still in the log). */
  readonly fromSeq?: number
}

/** A range of bytes recovery removed or skipped. */
export interface RecoveryAction {
  /** Segment file name. */
  readonly segment: string
  /** First byte affected. */
  readonly offset: number
  /** How many bytes (for a deleted segment: its size). */
  readonly bytes: number
  /** What recovery did (the vocabulary the logs share, `RecoveryActionKind` of `@quire/durable`). */
  readonly action: RecoveryActionKind
  readonly reason: string
  /**
   * The quarantine file (a name in the log's directory) holding the bytes this action removed,
   * written durably before they were removed. Absent when nothing was removed (`skipped-corrupt`),
   * when the bytes were truncated on request (`removed-truncated-segment`), or when they held
   * nothing (all zeros, as a crash leaves where data never arrived).
   */
  readonly quarantine?: string
}

/** What `Wal.open` found and did. Readable as `wal.recoveryReport`. */
export interface RecoveryReport {
  readonly mode: WalRecoveryMode
  /**
   * True when the log was opened with `readOnly: true`: nothing was changed, and `actions` say
   * what a writable open would have done (no action has a `quarantine` file).
   */
  readonly readOnly: boolean
  /** Segments in the log after recovery. */
  readonly segments: number
  /** Committed entries found (including any at or below the truncation floor still on disk). */
  readonly entries: number
  /** Last committed seq after recovery (0 for an empty log). */
  readonly lastSeq: number
  /** Entries with `seq <= floorSeq` were truncated by `truncateBefore`. */
  readonly floorSeq: number
  /** Everything recovery cut, removed or skipped, in order. Empty after a clean shutdown. */
  readonly actions: readonly RecoveryAction[]
}
