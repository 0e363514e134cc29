import {
  checkOptionKeys,
  enforceOpenMode,
  ensureDir,
  expectPathKind,
  NodeFileSystem,
  ReadOnlyError,
  ReadOnlyFileSystem,
  resolveOpenMode,
  storePathState,
  undoFailedOpen,
  type DirLock,
  type FileSystem,
} from '@quire/vfs'
import { ClosedError, InvalidArgumentError, OverloadedError } from './errors.js'
import { logFiles, type LogFiles } from './files.js'
import { encodedBoundBytes } from './format.js'
import { GroupCommitter } from './group-commit.js'
import type { LogEntry, LogRecord } from './log-entry.js'
import { hasArchives, lockLog, refuseSiblingLog } from './open-steps.js'
import { OPEN_OPTION_KEYS, READ_OPTION_KEYS } from './option-keys.js'
import { integerOption, invalid, resolveSettings, type LogSettings, type NdjsonLogOptions, type ReadOptions } from './options.js'
import { readEntries, type ReadRange } from './reader.js'
import { recoverLog, type RecoveredLog } from './recovery.js'
import type { RecoveryReport } from './recovery-report.js'
import { serializeRecord } from './serialize.js'
import { LogWriter, type PendingWrite, type WriteResult } from './writer.js'

/** What the log's file is called in errors. */
const ROLE = 'NDJSON log file'

/** The lock of a read-only log: there is none to release. */
const NO_LOCK: DirLock = { path: '', release: async () => undefined }

/**
 * A human-readable append-only log: one JSON object per line, checksummed, group-committed,
 * with atomic batches and recovery of torn tails. See README.md and FORMAT.md.
 *
 * This file is the API and the lifecycle; the lines are written by `writer.ts` (and rotated by
 * `rotation.ts`), read by `reader.ts`, recovered by `recovery.ts`.
 */
export class NdjsonLog<T extends object = LogRecord> implements AsyncDisposable {
  readonly #fs: FileSystem
  readonly #files: LogFiles
  readonly #lock: DirLock
  readonly #readOnly: boolean
  readonly #settings: LogSettings
  readonly #writer: LogWriter<T>
  readonly #committer: GroupCommitter<PendingWrite<T>, WriteResult<T>>
  readonly #recovery: RecoveryReport
  #closed = false
  #closing: Promise<void> | undefined

  private constructor(fs: FileSystem, files: LogFiles, lock: DirLock, readOnly: boolean, settings: LogSettings, recovered: RecoveredLog) {
    this.#fs = fs
    this.#files = files
    this.#lock = lock
    this.#readOnly = readOnly
    this.#settings = settings
    this.#recovery = recovered.report
    this.#writer = new LogWriter<T>({ fs, files, ...settings, ...recovered })
    this.#committer = new GroupCommitter<PendingWrite<T>, WriteResult<T>>({
      sizeOf: (p) => p.bytes,
      groupLimitBytes: () => this.#writer.groupLimitBytes(),
      flush: (entries) => this.#writer.flush(entries),
      maxQueuedOperations: settings.maxQueuedOperations,
      maxQueuedBytes: settings.maxQueuedBytes,
      overloaded: (limit, max, ops, bytes) => new OverloadedError(files.path, limit, max, ops, bytes),
    })
  }

  /**
   * Opens (creating it if needed) the log at `path` and recovers it: a torn tail is cut off
   * durably, damage in the middle is handled as `opts.recovery` says. Takes the log's lock:
   * a second writer gets `LockedError` (code `LOCKED`) until this one is closed.
   *
   * With `readOnly: true` it takes no lock and writes nothing (see {@link NdjsonLogOptions}).
   *
   * @throws `NdjsonCorruptError`, `UnsupportedVersionError`, `InvalidArgumentError` (also for an
   *   unknown option key), `LockedError`, `NotNdjsonLogError` (`NOT_NDJSON_LOG`: the file is not a
   *   log of this library), `StoreNotFoundError` (`NOT_FOUND`: no log, and `createIfMissing` is
   *   false or `readOnly` true), `StoreExistsError` (`EXISTS`, under `errorIfExists`),
   *   `PathKindError` (the path, or a parent of it, is the wrong kind of thing), `ReadOnlyError`
   *   (`READ_ONLY`: the OS refuses to write the directory). Nothing is created when it throws.
   */
  static async open<T extends object = LogRecord>(path: string, opts: NdjsonLogOptions = {}): Promise<NdjsonLog<T>> {
    const files = logFiles(path)
    checkOptionKeys(opts, OPEN_OPTION_KEYS, 'NdjsonLog.open', invalid)
    const openMode = resolveOpenMode(opts, invalid)
    const settings = resolveSettings(opts)
    const fs = opts.fs ?? new NodeFileSystem()
    // Before anything is created: the path must be a file (or nothing yet), its directory and
    // lock directory directories.
    let state = await storePathState(fs, files.path, 'file', ROLE)
    const fileExisted = state !== 'missing'
    await expectPathKind(fs, files.dir, 'directory', "the log file's directory")
    await expectPathKind(fs, files.lockDir, 'directory', "the log's lock directory")
    // Archives without an active file are a log too (a rotation a crash interrupted).
    if (state !== 'present' && (await hasArchives(fs, files))) state = 'present'
    enforceOpenMode(openMode, state, files.path, ROLE)
    if (openMode.readOnly) {
      // No lock, no lock directory, and an `fs` that refuses every change. Recovery reads past a
      // torn tail or free space in memory only. The log is what was acknowledged when it opened:
      // a live writer's later appends are not seen.
      const readOnlyFs = new ReadOnlyFileSystem(fs)
      const recovered = await recoverLog(readOnlyFs, files, settings.mode, true)
      return new NdjsonLog<T>(readOnlyFs, files, NO_LOCK, true, settings, recovered)
    }
    // What this open created goes again if it fails: the directories, then the lock directory.
    const created = await ensureDir(fs, files.dir, { syncExisting: true })
    const { lock, created: lockDirCreated } = await lockLog(fs, files, async (lockDirCreated) => {
      await undoFailedOpen(fs, lockDirCreated)
      await undoFailedOpen(fs, created)
    })
    try {
      await refuseSiblingLog(fs, files)
      const recovered = await recoverLog(fs, files, settings.mode)
      return new NdjsonLog<T>(fs, files, lock, false, settings, recovered)
    } catch (err) {
      // An active file this open created (a header, nothing more) goes too, while the lock holds.
      if (!fileExisted) await fs.unlink(files.path).then(() => fs.syncDir(files.dir), () => undefined)
      await undoFailedOpen(fs, lockDirCreated, lock)
      await undoFailedOpen(fs, created)
      throw err
    }
  }

  /** True when the log was opened with `readOnly: true`: every write rejects with `READ_ONLY`. */
  get readOnly(): boolean {
    return this.#readOnly
  }

  /** The active file's absolute path. */
  get path(): string {
    return this.#files.path
  }

  /** `seq` of the last acknowledged record (0 for an empty log). Moves only after the disk acknowledged. */
  get lastSeq(): number {
    return this.#writer.lastSeq
  }

  /** What recovery found and did when the log was opened. */
  get recovery(): RecoveryReport {
    return this.#recovery
  }

  /** True after a failed sync or repair: every write rejects with `PoisonedError` until reopened. */
  get poisoned(): boolean {
    return this.#writer.poisoned
  }

  /**
   * Appends one record. Resolves once it is acknowledged (with `sync: 'always'`, durable).
   * The record is validated and serialized first: a bad one rejects with `InvalidRecordError`
   * naming the path, and nothing is written.
   */
  append(record: T): Promise<LogEntry<T>> {
    // Not an async function: one promise less per append on the hottest path. Errors before the
    // submit still come back as rejections, never as synchronous throws.
    let entry: PendingWrite<T>
    try {
      this.#checkWritable()
      // Refused before the cost of serializing when the queue is full already.
      const full = this.#committer.refusal()
      if (full !== undefined) throw full
      const [json, bytes] = serializeRecord(record, 'record', this.#settings.maxRecordBytes)
      entry = { records: [json], record, bytes: encodedBoundBytes(bytes, 1), sync: false }
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    return this.#committer.submit(entry) as Promise<LogEntry<T>>
  }

  /**
   * Appends records as one transaction: one write with a commit boundary (its last line), so
   * after any crash either all of them are in the log or none. Every record is validated and
   * serialized before anything is written. Resolves with the entries in order.
   */
  async appendBatch(records: readonly T[]): Promise<LogEntry<T>[]> {
    this.#checkWritable()
    const list: unknown = records
    if (!Array.isArray(list)) throw new InvalidArgumentError('appendBatch expects an array of records')
    const { maxBatchRecords, maxRecordBytes } = this.#settings
    if (records.length > maxBatchRecords) {
      throw new InvalidArgumentError(`a batch of ${records.length} records exceeds maxBatchRecords (${maxBatchRecords})`)
    }
    if (records.length === 0) return []
    const full = this.#committer.refusal()
    if (full !== undefined) throw full
    const jsons: string[] = []
    let bytes = 0
    for (let i = 0; i < records.length; i++) {
      const [json, jsonBytes] = serializeRecord(records[i], `records[${i}]`, maxRecordBytes)
      jsons.push(json)
      bytes += jsonBytes
    }
    const first = (await this.#committer.submit({
      records: jsons,
      record: undefined,
      bytes: encodedBoundBytes(bytes, jsons.length),
      sync: false,
    })) as number
    return records.map((record, i) => ({ seq: first + i, record }))
  }

  /**
   * Waits for every append issued before it, then `fdatasync`s the file: a durable point for
   * `sync: 'none'` (with `'always'` everything acknowledged already is durable).
   */
  async sync(): Promise<void> {
    this.#checkWritable()
    await this.#committer.submit({ records: [], record: undefined, bytes: 0, sync: true })
  }

  /**
   * Yields acknowledged records in `seq` order, from `fromSeq`, across archives and the active
   * file, up to the `lastSeq` at the time of the call. Checks every line's checksum: a damaged line
   * throws `NdjsonCorruptError` (skipped instead under `recovery: 'skip-corrupt'`).
   */
  read(opts: ReadOptions = {}): AsyncIterableIterator<LogEntry<T>> {
    const writer = this.#writer
    return readEntries<T>(
      {
        fs: this.#fs,
        files: this.#files,
        skipCorrupt: this.#settings.mode === 'skip-corrupt',
        archives: writer.archives,
        activeEnd: () => writer.end,
      },
      () => this.#readRange(opts),
    )
  }

  /** Checks a read's options when it starts (on its first `next()`) and fixes its range. */
  #readRange(opts: ReadOptions): ReadRange {
    if (this.#closed) throw new ClosedError(this.#files.path)
    checkOptionKeys(opts, READ_OPTION_KEYS, 'NdjsonLog.read', invalid)
    const fromSeq = opts.fromSeq ?? 1
    integerOption('fromSeq', fromSeq, 1, Number.MAX_SAFE_INTEGER)
    return { fromSeq, upTo: this.#writer.lastSeq }
  }

  /** Closes the log: waits for queued appends, syncs, releases the lock. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #close(): Promise<void> {
    this.#closed = true
    await this.#committer.drain()
    const failure = await this.#writer.close()
    await this.#lock.release()
    // The lock directory goes with the lock: a clean close leaves only the log's own files. (It
    // stays when another opener already made its lock in it; that opener removes it.)
    if (!this.#readOnly) await this.#fs.rmdir(this.#files.lockDir).catch(() => undefined)
    if (failure !== undefined) throw failure
  }

  #checkWritable(): void {
    if (this.#closed) throw new ClosedError(this.#files.path)
    if (this.#readOnly) throw new ReadOnlyError(`appending to ${this.#files.path}`)
    this.#writer.checkPoison()
  }
}
