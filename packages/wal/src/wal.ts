import { Poison, StoreState, openStore } from '@quire/durable'
import {
  NO_LOCK,
  NodeFileSystem,
  ReadOnlyError,
  ReadOnlyFileSystem,
  enforceOpenMode,
  resolveOpenMode,
  storePathState,
  type DirLock,
  type FileSystem,
} from '@quire/vfs'
import { join, resolve } from 'node:path'
import { InvalidArgumentError, WalClosedError, WalPoisonedError, WalWriteError } from './errors.js'
import { FLOOR_FILE, writeFloor } from './floor.js'
import { GroupCommit } from './group-commit.js'
import { checkBatch, checkOp, checkSeq, checkTimestamp } from './input.js'
import { OPEN_KEYS, REPLAY_KEYS, checkOptions, type ResolvedOptions } from './options.js'
import { ReadOnlyWriter, type LogWriter } from './read-only-writer.js'
import { recoverLog, type RecoveredLog, type SegmentInfo } from './recovery.js'
import { isWalFileName } from './recovery-files.js'
import { replaySegments } from './segment-replay.js'
import { SegmentWriter } from './segment-writer.js'
import type { RecoveryReport, ReplayOptions, WalEntry, WalOp, WalOptions } from './types.js'

/** What the log's directory is called in errors. */
const ROLE = "the write-ahead log's directory"

const invalid = (message: string): InvalidArgumentError => new InvalidArgumentError(message)

const walErrors = { closed: () => new WalClosedError(), readOnly: (what: string) => new ReadOnlyError(what) }

/**
 * A segmented write-ahead log with group commit and atomic batches.
 *
 * ```ts
 * await using wal = await Wal.open(dir)
 * const e = await wal.append({ op: 'put', key, value }) // durable once resolved
 * for await (const entry of wal.replay()) apply(entry)
 * ```
 */
export class Wal implements AsyncDisposable {
  readonly #fs: FileSystem
  readonly #dir: string
  readonly #options: ResolvedOptions
  readonly #lock: DirLock
  readonly #segments: SegmentInfo[]
  readonly #writer: LogWriter
  readonly #group: GroupCommit
  readonly #report: RecoveryReport
  /** Closed, read-only, poisoned: the lifecycle every store shares. */
  readonly #state: StoreState
  #floorSeq: number
  #truncating: Promise<void> = Promise.resolve()
  /** The truncation queued behind the running one, not started yet. */
  #nextTruncate: { seq: number; run: Promise<void> } | undefined

  private constructor(
    fs: FileSystem,
    dir: string,
    options: ResolvedOptions,
    lock: DirLock,
    recovered: RecoveredLog,
    writer: LogWriter,
    poison: Poison,
    readOnly: boolean,
  ) {
    this.#fs = fs
    this.#dir = dir
    this.#options = options
    this.#lock = lock
    this.#segments = recovered.segments
    this.#writer = writer
    this.#state = new StoreState({ onClose: () => this.#close(), poison, readOnly, errors: walErrors })
    this.#group = new GroupCommit(writer, recovered.lastSeq, options, poison)
    this.#floorSeq = recovered.floorSeq
    this.#report = recovered.report
  }

  /**
   * Opens (creating if needed) the log in `dir`, takes its single-writer lock and recovers it:
   * a torn tail is cut off durably before this resolves; corruption in the middle is handled
   * per `opts.recovery` (default: fail with `WalCorruptError`).
   *
   * With `readOnly: true` it takes no lock and writes nothing (see {@link WalOptions}).
   *
   * @throws `InvalidArgumentError` for bad or unknown options, `LockedError` (code `LOCKED`)
   *   when another writer holds the directory, `WalCorruptError` for corruption under
   *   `'strict'`, `StoreNotFoundError` (`NOT_FOUND`) when there is no log and `createIfMissing`
   *   is false (or `readOnly` is true), `StoreExistsError` (`EXISTS`) under `errorIfExists`,
   *   `PathKindError` (`ENOTDIR`) when the path or a parent of it is a file. Nothing is created
   *   when it throws.
   */
  static async open(dir: string, opts: WalOptions = {}): Promise<Wal> {
    if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir must be a non-empty string')
    OPEN_KEYS.check(opts)
    const options = checkOptions(opts)
    const mode = resolveOpenMode(opts, invalid)
    const fs = opts.fs ?? new NodeFileSystem()
    const root = resolve(dir)
    enforceOpenMode(mode, await storePathState(fs, root, 'directory', ROLE, isWalFileName), root, ROLE)
    if (mode.readOnly) return Wal.#openReadOnly(new ReadOnlyFileSystem(fs), root, options)
    // One poison for the log: its segment file, its group commit and its lifecycle stop together.
    const poison = new Poison((cause) => new WalPoisonedError(cause))
    // Directory made durable, lock, recover, construct; a failed open leaves the disk as it found it.
    return openStore({
      fs,
      dir: root,
      recover: async () => {
        const recovered = await recoverAbove(fs, root, options)
        const writer = await SegmentWriter.open(fs, root, recovered.segments, options, poison)
        return { recovered, writer }
      },
      construct: ({ recovered, writer }, lock) => new Wal(fs, root, options, lock, recovered, writer, poison, false),
      discard: ({ writer }) => writer.close(),
    })
  }

  /**
   * A read-only open: no lock, and `fs` refuses every change. Recovery reads past a torn tail (or
   * what `'point-in-time'` would drop) in memory only; `minLastSeq` is not applied (it needs a
   * write). The log is what was on disk at open: a live writer's later appends are not seen.
   */
  static async #openReadOnly(fs: FileSystem, root: string, options: ResolvedOptions): Promise<Wal> {
    const recovered = await recoverLog(fs, root, options.recovery, { readOnly: true, onRecover: options.onRecover })
    return new Wal(fs, root, options, NO_LOCK, recovered, new ReadOnlyWriter(), new Poison((cause) => new WalPoisonedError(cause)), true)
  }

  /** True when the log was opened with `readOnly: true`: every write rejects with `READ_ONLY`. */
  get readOnly(): boolean {
    return this.#state.readOnly
  }

  /** The last acknowledged seq (0 for an empty log). In-flight operations are not counted. */
  get lastSeq(): number {
    return this.#group.lastSeq
  }

  /** Entries with `seq <= floorSeq` were removed by `truncateBefore`. */
  get floorSeq(): number {
    return this.#floorSeq
  }

  /** What `open` found and did (torn tails cut, corruption skipped, segments removed). */
  get recoveryReport(): RecoveryReport {
    return this.#report
  }

  /**
   * Appends one operation. Resolves with its entry once its bytes are durable (sync 'always') or
   * handed to the OS (sync 'none'). Concurrent calls are committed together (group commit).
   *
   * @throws `InvalidArgumentError` (nothing written), `WalClosedError`, `WalPoisonedError`
   *   (outcome unknown), `WalWriteError` (e.g. ENOSPC; rolled back, not in the log),
   *   `WalOverloadedError` (`OVERLOADED`: `maxQueuedOperations` or `maxQueuedBytes` reached; nothing
   *   written, retry later).
   */
  append(op: WalOp): Promise<WalEntry> {
    try {
      this.#checkWritable('Wal.append')
      const checked = checkOp(op)
      return this.#group.append(checked, checkTimestamp(this.#options.now()))
    } catch (err) {
      return rejected(err)
    }
  }

  /**
   * Appends operations atomically: after any crash, all of them are in the log or none.
   * Resolves with their entries (consecutive seqs).
   */
  appendBatch(ops: readonly WalOp[]): Promise<WalEntry[]> {
    try {
      this.#checkWritable('Wal.appendBatch')
      const batch = checkBatch(ops)
      return this.#group.appendBatch(batch.ops, checkTimestamp(this.#options.now()), batch.bytes)
    } catch (err) {
      return rejected(err)
    }
  }

  /**
   * Committed entries in ascending seq, from `fromSeq` (default: the oldest still in the log) up
   * to `lastSeq` as it was when the iteration started. Batches appear only whole. Keys and
   * values are views of a buffer read for this replay alone (never reused or written again); an
   * entry keeps its 256 KiB read chunk alive, so copy (`slice()`) the few you keep of many.
   * Built on {@link Wal.replayChunks}: a reader of many entries saves an `await` per entry there.
   *
   * @throws `WalCorruptError` when acknowledged bytes no longer read back correctly.
   */
  async *replay(options: ReplayOptions = {}): AsyncGenerator<WalEntry, void, undefined> {
    for await (const chunk of this.replayChunks(options)) for (const entry of chunk) yield entry
  }

  /**
   * The entries of {@link Wal.replay}, the same ones in the same order with the same checks
   * (every CRC, the framing, seqs contiguous), handed out as one array per read chunk of the log
   * (up to 256 KiB of frames, `WAL_READ_CHUNK_BYTES`): one `await` per chunk instead of one per
   * entry, which is most of the cost of replaying millions of small entries. An array is never
   * empty and holds only committed entries: a batch is in one array, whole, once its COMMIT was
   * read (a batch whose COMMIT is missing is never handed out). The arrays and the entries are
   * the caller's to keep: keys and values are views of a buffer read for this replay alone, never
   * reused or written again (so they stay valid after the next chunk is read).
   *
   * `fromSeq` seeks: segments that end below it are not read at all (found by their first seqs),
   * and entries below it in the segment it falls in are checked but not materialised.
   *
   * @throws `InvalidArgumentError` for a bad or unknown option (on the first `next()`),
   *   `WalClosedError` when the log is closed, `WalCorruptError` when acknowledged bytes no longer
   *   read back correctly.
   */
  async *replayChunks(options: ReplayOptions = {}): AsyncGenerator<WalEntry[], void, undefined> {
    this.#state.assertOpen()
    REPLAY_KEYS.check(options)
    const asked = checkSeq(options.fromSeq ?? 0, 'fromSeq')
    const fromSeq = Math.max(asked, this.#floorSeq + 1)
    const toSeq = this.#group.lastSeq
    if (fromSeq > toSeq) return
    yield* replaySegments({
      fs: this.#fs,
      dir: this.#dir,
      segments: this.#segments.slice(),
      fromSeq,
      toSeq,
      floorSeq: this.#floorSeq,
      skip: this.#options.recovery === 'skip-corrupt',
      // From the floor: a batch truncateBefore cut through is yielded whole, never in part.
      fromFloor: asked <= this.#floorSeq + 1 && this.#floorSeq > 0,
      listed: (seg) => this.#segments.includes(seg),
    })
  }

  /**
   * Removes every entry with `seq <= seq`, for good: they are never replayed again, and whole
   * segments below are deleted (live data is never rewritten). When every entry of the active
   * segment is at or below `seq`, the log first rolls to a new segment, so that one goes too.
   * Crash-safe: afterwards the log is in the old or the new state. `seq` may not exceed `lastSeq`.
   */
  truncateBefore(seq: number): Promise<void> {
    try {
      this.#state.assertWritable('Wal.truncateBefore')
      checkSeq(seq, 'seq')
      if (seq > this.#group.lastSeq) {
        throw new InvalidArgumentError(`seq ${seq} is above lastSeq ${this.#group.lastSeq}`)
      }
    } catch (err) {
      return rejected(err)
    }
    // Calls made while a truncation waits to start share it, at the highest seq asked: it runs
    // after all of them, so each gets at least what it asked for, and waiting calls never pile up.
    const waiting = this.#nextTruncate
    if (waiting !== undefined) {
      waiting.seq = Math.max(waiting.seq, seq)
      return waiting.run
    }
    const next: { seq: number; run: Promise<void> } = { seq, run: Promise.resolve() }
    next.run = this.#truncating.then(() => {
      this.#nextTruncate = undefined
      return this.#truncate(next.seq)
    })
    this.#nextTruncate = next
    this.#truncating = next.run.catch(() => undefined)
    return next.run
  }

  async #truncate(seq: number): Promise<void> {
    if (seq <= this.#floorSeq) return
    // A poisoned log may have lost data a failed sync covered: no floor may be written over it.
    if (this.#group.poisoned !== undefined) throw this.#group.poisoned
    // When every record of the active segment is at or below seq (a checkpoint of an idle store),
    // a new segment first: the old one is then removed whole below, and the next open reads none
    // of its dead bytes. A failed roll (rolled back, nothing lost) only leaves them to be read.
    // (truncateBefore refused a read-only log already.)
    await this.#group.rollIfDead(seq).catch((err: unknown) => {
      if (!(err instanceof WalWriteError)) throw err
    })
    // Under sync 'none' the entries below the floor may not be durable yet: make them so first,
    // so that the floor never runs ahead of the log after a crash.
    if (!this.#options.syncAlways) await this.#writer.sync()
    try {
      await writeFloor(this.#fs, join(this.#dir, FLOOR_FILE), seq)
    } catch (err) {
      throw new WalWriteError(err)
    }
    this.#floorSeq = seq
    const segments = this.#segments
    let removed = 0
    try {
      // Never the active segment; a segment goes once the next one starts at or below seq + 1.
      while (segments.length > 1 && segments[1]!.firstSeq - 1 <= seq) {
        await this.#fs.unlink(join(this.#dir, segments[0]!.name))
        segments.shift()
        removed++
      }
      if (removed > 0) await this.#fs.syncDir(this.#dir)
    } catch (err) {
      // The floor is durable, so these entries are already gone; recovery finishes the unlinks.
      throw new WalWriteError(err)
    }
  }

  /**
   * Waits for queued operations, makes everything durable (also under sync 'none'), closes the
   * files and releases the lock. Idempotent; later operations reject with `WalClosedError`.
   */
  close(): Promise<void> {
    return this.#state.close()
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#state.close()
  }

  /** Runs once, from the first `close()`. */
  async #close(): Promise<void> {
    await this.#group.whenIdle()
    await this.#truncating
    let failure: Error | undefined
    if (!this.#options.syncAlways && this.#group.poisoned === undefined) {
      // Under sync 'none' this is the sync that makes everything durable: its failure is news.
      await this.#writer.sync().catch((err: unknown) => (failure = err instanceof Error ? err : new WalPoisonedError(err)))
    }
    await this.#writer.close().catch(() => undefined)
    await this.#lock.release().catch(() => undefined)
    if (failure !== undefined) throw failure
  }

  /** `CLOSED`, then `READ_ONLY`; the poison is the group commit's to report (after validation). */
  #checkWritable(what: string): void {
    this.#state.assertOpen()
    if (this.#state.readOnly) throw new ReadOnlyError(what)
  }
}

/**
 * Recovery, then `minLastSeq`: when the caller gave out seqs the log lost (a power loss under
 * sync 'none'), the floor moves past them, durably, before anything is appended, so that no seq
 * is ever given twice. Recovery run again on the new floor drops what lies below it and starts a
 * segment above it.
 */
async function recoverAbove(fs: FileSystem, root: string, options: ResolvedOptions): Promise<RecoveredLog> {
  const { onRecover, minLastSeq } = options
  // onRecover gets entries while the scan reads them unless minLastSeq may still move the floor
  // past them (it lies above the floor on disk): then only once that is settled (see WalOptions).
  const recovered = await recoverLog(fs, root, options.recovery, { readOnly: false, onRecover, deliverUpTo: minLastSeq })
  if (recovered.lastSeq >= minLastSeq) {
    if (onRecover !== undefined && !recovered.delivered) await deliverAfter(fs, root, recovered, options)
    return recovered
  }
  await writeFloor(fs, join(root, FLOOR_FILE), minLastSeq)
  const again = await recoverLog(fs, root, options.recovery, { readOnly: false, onRecover })
  return { ...again, report: { ...again.report, actions: [...recovered.report.actions, ...again.report.actions] } }
}

/** `onRecover`'s entries read after recovery (a second read), as `replayChunks()` would give them. */
async function deliverAfter(fs: FileSystem, root: string, recovered: RecoveredLog, options: ResolvedOptions): Promise<void> {
  const floorSeq = recovered.floorSeq
  if (floorSeq + 1 > recovered.lastSeq) return
  const chunks = replaySegments({
    fs,
    dir: root,
    segments: recovered.segments.slice(),
    fromSeq: floorSeq + 1,
    toSeq: recovered.lastSeq,
    floorSeq,
    skip: options.recovery === 'skip-corrupt',
    fromFloor: floorSeq > 0,
    listed: () => true,
  })
  for await (const chunk of chunks) options.onRecover!(chunk)
}

function rejected(err: unknown): Promise<never> {
  return Promise.reject(err instanceof Error ? err : new Error(String(err)))
}
