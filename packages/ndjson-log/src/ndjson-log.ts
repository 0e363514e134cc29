import { join } from 'node:path'
import { InvalidValueError, jsonCodec } from '@quire/codec'
import {
  acquireLock,
  checkOptionKeys,
  enforceOpenMode,
  ensureDir,
  expectPathKind,
  isFsError,
  NodeFileSystem,
  ReadOnlyError,
  ReadOnlyFileSystem,
  resolveOpenMode,
  storePathState,
  undoFailedOpen,
  writeFileAtomic,
  type DirLock,
  type FileHandle,
  type FileSystem,
  type OpenModeOptions,
} from '@quire/vfs'
import {
  ClosedError,
  InvalidArgumentError,
  InvalidRecordError,
  OverloadedError,
  NdjsonCorruptError,
  PoisonedError,
  WriteFailedError,
} from './errors.js'
import { archiveName, archiveNumber, logFiles, siblingPath, type LogFiles } from './files.js'
import { encodedBoundBytes, encodeTransactions, FORMAT_MAGIC, formatHeader, formatPad, PAD_MIN_BYTES, PAD_PREFIX } from './format.js'
import { GroupCommitter } from './group-commit.js'
import { OPEN_OPTION_KEYS, READ_OPTION_KEYS } from './option-keys.js'
import {
  DEFAULT_MAX_BATCH_RECORDS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_OPERATIONS,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_PREALLOCATE_BYTES,
  MAX_PREALLOCATE_BYTES,
  MAX_GROUP_BYTES,
  MAX_RECORD_BYTES_LIMIT,
  MIN_FILE_BYTES,
} from './limits.js'
import { readLines } from './line-scanner.js'
import { recoverLog } from './recovery.js'
import type { RecoveryMode } from './recovery-mode.js'
import type { RecoveryReport } from './recovery-report.js'
import { checkHeader, parseRaw, readStartSeq } from './scan-file.js'
import { TransactionAssembler } from './transactions.js'

/** A record: a JSON object (plain object; values JSON can hold, plus `Date`). */
export type LogRecord = Record<string, unknown>

/** When an append is acknowledged. */
export type SyncMode = 'always' | 'none'

/**
 * Options of `NdjsonLog.open`. Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`: a new log is created
 * when no file, or an empty one, is at the path and no archive exists; `false`: `NOT_FOUND`
 * instead), `errorIfExists` (default `false`: `EXISTS` when the log exists), `readOnly` (default
 * `false`: with `true`, no lock is taken and nothing is written, not even recovery's repairs or a
 * lock directory; a torn tail or free space is read past in memory; `append`, `appendBatch` and
 * `sync` reject with `READ_ONLY`; works on a read-only copy and next to a live writer, seeing what
 * was acknowledged when it opened).
 */
export interface NdjsonLogOptions extends OpenModeOptions {
  /** The file system to go through. Default: a `NodeFileSystem`. */
  readonly fs?: FileSystem
  /**
   * `'always'` (default): an append resolves only after its line is written and `fdatasync`ed
   * (group commit: one sync for every append that arrived meanwhile). `'none'`: it resolves once
   * the line is written to the OS, which loses it in a power failure (not in a process crash);
   * call {@link NdjsonLog.sync} for a durable point.
   */
  readonly sync?: SyncMode
  /**
   * What `open` does with damage in the middle of the active file (a torn tail is always cut):
   * `'strict'` (default) fails with `NdjsonCorruptError`; `'point-in-time'` keeps what precedes
   * the damage and cuts the file there; `'skip-corrupt'` skips damaged lines and reports them.
   */
  readonly recovery?: RecoveryMode
  /**
   * Roll the active file into a numbered archive once it would grow past this many bytes
   * (see FORMAT.md). A file exceeds it only when one transaction alone is larger. Default: never.
   */
  readonly maxFileBytes?: number
  /** Largest record, as serialized JSON. Default 1 MiB, at most 64 MiB. */
  readonly maxRecordBytes?: number
  /** Most records in one `appendBatch`. Default 10 000. */
  readonly maxBatchRecords?: number
  /**
   * With `sync: 'always'`, free space kept after the data, as a valid JSON line of spaces
   * (`{"pad":"   "}`, see FORMAT.md), so that most group commits overwrite space the file already
   * has and `fdatasync` need not also commit a new file size (many times faster on ext4/xfs).
   * `close()` trims it. 0 disables it. Default 1 MiB, at most 64 MiB.
   */
  readonly preallocateBytes?: number
  /**
   * Most appends, batches and `sync()` calls accepted and not yet settled (default 65 536,
   * `DEFAULT_MAX_QUEUED_OPERATIONS`). One more rejects at once with `OverloadedError`
   * (`OVERLOADED`), nothing written: memory stays bounded when producers outrun the disk.
   */
  readonly maxQueuedOperations?: number
  /**
   * Bytes of lines accepted and not yet settled at which the next append rejects at once with
   * `OverloadedError` (default 64 MiB, `DEFAULT_MAX_QUEUED_BYTES`): at most this plus one
   * operation wait.
   */
  readonly maxQueuedBytes?: number
}

/** A record as stored: its sequence number and value. */
export interface LogEntry<T extends object = LogRecord> {
  readonly seq: number
  readonly record: T
}

/** Options of `NdjsonLog.read`. Unknown keys are refused (`INVALID_ARGUMENT`). */
export interface ReadOptions {
  /** First `seq` to yield (default 1). */
  readonly fromSeq?: number
}

interface Pending<T> {
  /** The records' JSON text. */
  readonly records: string[]
  /** For `append`: the record, so the group resolves straight with its `LogEntry`. */
  readonly single: T | undefined
  /** Upper bound of the encoded bytes. */
  readonly bytes: number
  /** Force a sync of this group (from `sync()`), whatever the sync mode. */
  readonly sync: boolean
}

/** What the log's file is called in errors. */
const ROLE = 'NDJSON log file'

/** The lock of a read-only log: there is none to release. */
const NO_LOCK: DirLock = { path: '', release: async () => undefined }

/** Attempts at creating the lock directory and taking the lock while a closing writer removes it. */
const LOCK_ATTEMPTS = 3

const invalid = (message: string): InvalidArgumentError => new InvalidArgumentError(message)

/** How many event-loop turns `read()` waits for the active file to reappear during a rotation. */
const MAX_ROTATION_WAITS = 10_000

/**
 * A short description of a value for a message, without converting it: `String()` of a hostile
 * value throws (a null-prototype object, a `toString` that throws) or builds 4 GB (a sparse array
 * of length 2^32 − 1).
 */
function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

function positiveInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${describeValue(value)}`)
  }
  return value
}

/**
 * A human-readable append-only log: one JSON object per line, checksummed, group-committed,
 * with atomic batches and recovery of torn tails. See README.md and FORMAT.md.
 */
export class NdjsonLog<T extends object = LogRecord> implements AsyncDisposable {
  readonly #fs: FileSystem
  readonly #files: LogFiles
  readonly #lock: DirLock
  readonly #readOnly: boolean
  readonly #syncMode: SyncMode
  readonly #mode: RecoveryMode
  readonly #maxFileBytes: number | undefined
  readonly #maxRecordBytes: number
  readonly #maxBatchRecords: number
  readonly #preallocateBytes: number
  readonly #committer: GroupCommitter<Pending<T>, number | LogEntry<T>>
  readonly #recovery: RecoveryReport
  readonly #archives: number[]
  #handle: FileHandle
  /** Offset just past the last acknowledged line. */
  #end: number
  /** End of the data as of the last successful sync: what the disk is known to hold. */
  #syncedEnd: number
  /** The file's length: past `#end` lies the free-space line, when there is one. */
  #padEnd: number
  #headerEnd: number
  #lastSeq: number
  #poison: { cause: unknown } | undefined
  #closed = false
  #closing: Promise<void> | undefined

  private constructor(init: {
    fs: FileSystem
    files: LogFiles
    lock: DirLock
    readOnly: boolean
    syncMode: SyncMode
    mode: RecoveryMode
    maxFileBytes: number | undefined
    maxRecordBytes: number
    maxBatchRecords: number
    preallocateBytes: number
    maxQueuedOperations: number
    maxQueuedBytes: number
    handle: FileHandle
    end: number
    startSeq: number
    lastSeq: number
    archives: number[]
    recovery: RecoveryReport
  }) {
    this.#fs = init.fs
    this.#files = init.files
    this.#lock = init.lock
    this.#readOnly = init.readOnly
    this.#syncMode = init.syncMode
    this.#mode = init.mode
    this.#maxFileBytes = init.maxFileBytes
    this.#maxRecordBytes = init.maxRecordBytes
    this.#maxBatchRecords = init.maxBatchRecords
    this.#preallocateBytes = init.preallocateBytes
    this.#handle = init.handle
    this.#end = init.end
    this.#syncedEnd = init.end
    this.#padEnd = init.end
    this.#headerEnd = formatHeader(init.startSeq).length
    this.#lastSeq = init.lastSeq
    this.#archives = init.archives
    this.#recovery = init.recovery
    this.#committer = new GroupCommitter<Pending<T>, number | LogEntry<T>>({
      sizeOf: (p) => p.bytes,
      groupLimitBytes: () => this.#groupLimitBytes(),
      flush: (entries) => this.#flush(entries),
      maxQueuedOperations: init.maxQueuedOperations,
      maxQueuedBytes: init.maxQueuedBytes,
      overloaded: (limit, max, ops, bytes) => new OverloadedError(this.#files.path, limit, max, ops, bytes),
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
    const syncMode = opts.sync ?? 'always'
    if (syncMode !== 'always' && syncMode !== 'none') throw new InvalidArgumentError(`sync must be 'always' or 'none'`)
    const mode = opts.recovery ?? 'strict'
    if (mode !== 'strict' && mode !== 'point-in-time' && mode !== 'skip-corrupt') {
      throw new InvalidArgumentError(`recovery must be 'strict', 'point-in-time' or 'skip-corrupt'`)
    }
    const maxRecordBytes = positiveInteger('maxRecordBytes', opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, 2, MAX_RECORD_BYTES_LIMIT)
    const maxBatchRecords = positiveInteger('maxBatchRecords', opts.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS, 1, 1_000_000)
    const maxFileBytes =
      opts.maxFileBytes === undefined
        ? undefined
        : positiveInteger('maxFileBytes', opts.maxFileBytes, MIN_FILE_BYTES, Number.MAX_SAFE_INTEGER)
    const preallocateBytes =
      syncMode === 'none'
        ? 0
        : positiveInteger('preallocateBytes', opts.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES, 0, MAX_PREALLOCATE_BYTES)
    const maxQueuedOperations = positiveInteger(
      'maxQueuedOperations',
      opts.maxQueuedOperations ?? DEFAULT_MAX_QUEUED_OPERATIONS,
      1,
      Number.MAX_SAFE_INTEGER,
    )
    const maxQueuedBytes = positiveInteger('maxQueuedBytes', opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES, 1, Number.MAX_SAFE_INTEGER)
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
      return NdjsonLog.#openReadOnly<T>(new ReadOnlyFileSystem(fs), files, {
        syncMode,
        mode,
        maxFileBytes,
        maxRecordBytes,
        maxBatchRecords,
        preallocateBytes,
        maxQueuedOperations,
        maxQueuedBytes,
      })
    }
    const created = await ensureDir(fs, files.dir, { syncExisting: true })
    let lock: DirLock | undefined
    // What this open created goes again if it fails: the directories, then the lock directory.
    const undo = async (): Promise<void> => {
      // An active file this open created (a header, nothing more) goes too, while the lock holds.
      if (!fileExisted && lock !== undefined) await fs.unlink(files.path).then(() => fs.syncDir(files.dir), () => undefined)
      await undoFailedOpen(fs, lockDirCreated, lock)
      await undoFailedOpen(fs, created)
    }
    let lockDirCreated: string[] = []
    try {
      for (let attempt = 1; ; attempt++) {
        lockDirCreated = await ensureDir(fs, files.lockDir)
        try {
          lock = await acquireLock(fs, files.lockDir, { subject: files.path })
          break
        } catch (err) {
          // A writer closing right now removed the lock directory after this open created or
          // found it: make it again.
          if (!isFsError(err, 'ENOENT') || attempt >= LOCK_ATTEMPTS) throw err
        }
      }
    } catch (err) {
      await undo()
      throw err
    }
    try {
      await refuseSiblingLog(fs, files)
      const recovered = await recoverLog(fs, files, mode)
      return new NdjsonLog<T>({
        fs,
        files,
        lock,
        readOnly: false,
        syncMode,
        mode,
        maxFileBytes,
        maxRecordBytes,
        maxBatchRecords,
        preallocateBytes,
        maxQueuedOperations,
        maxQueuedBytes,
        ...recovered,
        recovery: recovered.report,
      })
    } catch (err) {
      await undo()
      throw err
    }
  }

  /**
   * A read-only open: no lock, no lock directory, and `fs` refuses every change. Recovery reads
   * past a torn tail or free space in memory only. The log is what was acknowledged when it
   * opened: a live writer's later appends are not seen.
   */
  static async #openReadOnly<T extends object>(
    fs: FileSystem,
    files: LogFiles,
    settings: {
      syncMode: SyncMode
      mode: RecoveryMode
      maxFileBytes: number | undefined
      maxRecordBytes: number
      maxBatchRecords: number
      preallocateBytes: number
      maxQueuedOperations: number
      maxQueuedBytes: number
    },
  ): Promise<NdjsonLog<T>> {
    const recovered = await recoverLog(fs, files, settings.mode, true)
    return new NdjsonLog<T>({ fs, files, lock: NO_LOCK, readOnly: true, ...settings, ...recovered, recovery: recovered.report })
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
    return this.#lastSeq
  }

  /** What recovery found and did when the log was opened. */
  get recovery(): RecoveryReport {
    return this.#recovery
  }

  /** True after a failed sync or repair: every write rejects with `PoisonedError` until reopened. */
  get poisoned(): boolean {
    return this.#poison !== undefined
  }

  /**
   * Appends one record. Resolves once it is acknowledged (with `sync: 'always'`, durable).
   * The record is validated and serialized first: a bad one rejects with `InvalidRecordError`
   * naming the path, and nothing is written.
   */
  append(record: T): Promise<LogEntry<T>> {
    // Not an async function: one promise less per append on the hottest path. Errors before the
    // submit still come back as rejections, never as synchronous throws.
    let entry: Pending<T>
    try {
      this.#checkWritable()
      // Refused before the cost of serializing when the queue is full already.
      const full = this.#committer.refusal()
      if (full !== undefined) throw full
      const [json, bytes] = this.#serialize(record, 'record')
      entry = { records: [json], single: record, bytes: encodedBoundBytes(bytes, 1), sync: false }
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
    if (records.length > this.#maxBatchRecords) {
      throw new InvalidArgumentError(`a batch of ${records.length} records exceeds maxBatchRecords (${this.#maxBatchRecords})`)
    }
    if (records.length === 0) return []
    const full = this.#committer.refusal()
    if (full !== undefined) throw full
    const jsons: string[] = []
    let bytes = 0
    for (let i = 0; i < records.length; i++) {
      const [json, jsonBytes] = this.#serialize(records[i]!, `records[${i}]`)
      jsons.push(json)
      bytes += jsonBytes
    }
    const first = (await this.#committer.submit({
      records: jsons,
      single: undefined,
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
    await this.#committer.submit({ records: [], single: undefined, bytes: 0, sync: true })
  }

  /**
   * Yields acknowledged records in `seq` order, from `fromSeq`, across archives and the active
   * file, up to the `lastSeq` at the time of the call. Checks every line's checksum: a damaged line
   * throws `NdjsonCorruptError` (skipped instead under `recovery: 'skip-corrupt'`).
   */
  read(opts: ReadOptions = {}): AsyncIterableIterator<LogEntry<T>> {
    // A hand-rolled iterator over the chunks' arrays: one settled promise per record, without the
    // machinery of an async generator per record (it is a third of the cost of reading).
    const chunks = this.#readChunks(opts)
    let batch: LogEntry<T>[] = []
    let index = 0
    const iterator: AsyncIterableIterator<LogEntry<T>> = {
      next: (): Promise<IteratorResult<LogEntry<T>>> => {
        if (index < batch.length) return Promise.resolve({ value: batch[index++]!, done: false })
        return chunks.next().then((step) => {
          if (step.done === true) return { value: undefined, done: true }
          batch = step.value
          index = 0
          return iterator.next()
        })
      },
      return: async (): Promise<IteratorResult<LogEntry<T>>> => {
        batch = []
        await chunks.return()
        return { value: undefined, done: true }
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  /** The committed records from `opts.fromSeq` to the `lastSeq` of the call, a chunk at a time. */
  async *#readChunks(opts: ReadOptions): AsyncGenerator<LogEntry<T>[], void, undefined> {
    if (this.#closed) throw new ClosedError(this.#files.path)
    checkOptionKeys(opts, READ_OPTION_KEYS, 'NdjsonLog.read', invalid)
    const fromSeq = opts.fromSeq ?? 1
    positiveInteger('fromSeq', fromSeq, 1, Number.MAX_SAFE_INTEGER)
    const upTo = this.#lastSeq
    if (fromSeq > upTo) return
    let index = 0
    let missing = 0
    for (;;) {
      while (index < this.#archives.length) {
        const n = this.#archives[index]!
        const file = join(this.#files.dir, archiveName(this.#files, n))
        index++
        // Skip an archive when the next file starts at or before fromSeq.
        const nextStart = await this.#startSeqOf(index)
        if (nextStart !== undefined && nextStart <= fromSeq) continue
        const handle = await this.#fs.open(file, 'r')
        try {
          const chunks = this.#readFile(handle, file, await handle.size(), fromSeq, upTo)
          let step
          while ((step = await chunks.next()).done !== true) yield step.value
          if (step.value) return
        } finally {
          await handle.close()
        }
      }
      // The active file. A rotation meanwhile makes it an archive: go round again.
      let handle: FileHandle
      try {
        handle = await this.#fs.open(this.#files.path, 'r')
      } catch (err) {
        // Missing only for a moment during a rotation; for good, it was removed behind our back.
        if (!isFsError(err, 'ENOENT') || ++missing > MAX_ROTATION_WAITS) throw err
        await new Promise((resolve) => setImmediate(resolve))
        continue
      }
      try {
        if (index !== this.#archives.length) continue
        const chunks = this.#readFile(handle, this.#files.path, this.#end, fromSeq, upTo)
        let step
        while ((step = await chunks.next()).done !== true) yield step.value
        if (step.value) return
        throw new NdjsonCorruptError(this.#files.path, 0, `records up to seq ${upTo} were expected`)
      } finally {
        await handle.close()
      }
    }
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
    let failure: PoisonedError | undefined
    try {
      if (this.#poison === undefined) {
        const padded = this.#padEnd > this.#end
        if (padded) await this.#handle.truncate(this.#end)
        if (padded || this.#syncMode === 'none') await this.#handle.sync()
      }
    } catch (err) {
      this.#poison = { cause: err }
      failure = new PoisonedError(this.#files.path, err)
    }
    await this.#handle.close().catch(() => undefined)
    await this.#lock.release()
    // The lock directory goes with the lock: a clean close leaves only the log's own files. (It
    // stays when another opener already made its lock in it; that opener removes it.)
    if (!this.#readOnly) await this.#fs.rmdir(this.#files.lockDir).catch(() => undefined)
    if (failure !== undefined) throw failure
  }

  #checkWritable(): void {
    if (this.#closed) throw new ClosedError(this.#files.path)
    if (this.#readOnly) throw new ReadOnlyError(`appending to ${this.#files.path}`)
    if (this.#poison !== undefined) throw new PoisonedError(this.#files.path, this.#poison.cause)
  }

  /** Validates and serializes a record: its JSON text and that text's UTF-8 length. */
  #serialize(record: T, path: string): [string, number] {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new InvalidRecordError(path, 'a record must be a JSON object')
    }
    if (record instanceof Date) throw new InvalidRecordError(path, 'a record must be a JSON object, not a Date')
    let text: string
    try {
      text = jsonCodec.stringify(record)
    } catch (err) {
      if (err instanceof InvalidValueError) {
        const inner = err.path === '' ? '' : err.path.startsWith('[') ? err.path : `.${err.path}`
        throw new InvalidRecordError(`${path}${inner}`, err.message.replace(/^Invalid value at [^:]*: /, ''), { cause: err })
      }
      throw err
    }
    const bytes = Buffer.byteLength(text, 'utf8')
    if (bytes > this.#maxRecordBytes) {
      throw new InvalidRecordError(path, `${bytes} bytes of JSON exceed maxRecordBytes (${this.#maxRecordBytes})`)
    }
    return [text, bytes]
  }

  #groupLimitBytes(): number {
    if (this.#maxFileBytes === undefined) return MAX_GROUP_BYTES
    return Math.min(MAX_GROUP_BYTES, Math.max(0, this.#maxFileBytes - this.#end))
  }

  /** Writes (and syncs) one group; resolves with each entry's `LogEntry` (append) or first seq. */
  async #flush(entries: readonly Pending<T>[]): Promise<(number | LogEntry<T>)[]> {
    if (this.#poison !== undefined) throw new PoisonedError(this.#files.path, this.#poison.cause)
    let count = 0
    let bound = 0
    let forceSync = false
    for (const e of entries) {
      count += e.records.length
      bound += e.bytes
      forceSync ||= e.sync
    }
    if (
      count > 0 &&
      this.#maxFileBytes !== undefined &&
      this.#end > this.#headerEnd &&
      this.#end + bound > this.#maxFileBytes
    ) {
      await this.#rotate()
    }
    const firstSeq = this.#lastSeq + 1
    let written = 0
    let padEnd = this.#padEnd
    /** True when this write also appends a fresh pad line (the file grows by the free space). */
    let freshPad = false
    if (count > 0) {
      const out = Buffer.allocUnsafe(bound + PAD_PREFIX.length)
      written = encodeTransactions(out, 0, firstSeq, entries)
      let data = out.subarray(0, written)
      if (this.#preallocateBytes > 0) {
        if (written + PAD_MIN_BYTES <= this.#padEnd - this.#end) {
          // Into the free space: the lines, then a new start for the rest of the pad line, whose
          // spaces and end are already on disk.
          PAD_PREFIX.copy(out, written)
          data = out.subarray(0, written + PAD_PREFIX.length)
        } else {
          // Not enough room: the lines and a fresh pad line (the file grows, once per that many bytes).
          let padBytes = this.#preallocateBytes
          // No more free space than the file may still grow by before it rotates.
          if (this.#maxFileBytes !== undefined) padBytes = Math.min(padBytes, this.#maxFileBytes - this.#end - written)
          const pad = formatPad(Math.max(PAD_MIN_BYTES, padBytes))
          data = Buffer.concat([data, pad])
          padEnd = this.#end + written + pad.length
          freshPad = true
        }
      } else {
        padEnd = this.#end + written
      }
      try {
        await this.#handle.write(data, this.#end)
      } catch (err) {
        // A disk too full for the free space may still hold the lines: the pad is an optimisation,
        // never a reason to refuse an append (issue 13). Cut back, then write the lines alone.
        if (!freshPad || !isFsError(err, 'ENOSPC')) await this.#rollback(err)
        await this.#cutBack(err)
        try {
          await this.#handle.write(out.subarray(0, written), this.#end)
        } catch (again) {
          await this.#rollback(again)
        }
        padEnd = this.#end + written
      }
    }
    if (this.#syncMode === 'always' || forceSync) {
      try {
        await this.#handle.sync()
      } catch (err) {
        // Poisoned first: nothing may run on this log while the cut is made.
        const poisoned = this.#poisonWith(err)
        await this.#forgetUnsynced()
        throw poisoned
      }
      this.#syncedEnd = this.#end + written
    }
    // Acknowledged: only now does memory move.
    this.#end += written
    this.#padEnd = padEnd
    this.#lastSeq += count
    const results: (number | LogEntry<T>)[] = []
    let seq = firstSeq
    for (const e of entries) {
      results.push(e.single === undefined ? seq : { seq, record: e.single })
      seq += e.records.length
    }
    return results
  }

  /**
   * A sync failed: the data it covered may be gone from the disk while the OS still serves it from
   * its cache (Linux marks the pages clean). Cut the file back to what the disk is known to hold,
   * so that a reopen in this process reads what a power loss would leave, and never builds new
   * acknowledged records on bytes that are not there. Best effort: the log is poisoned anyway.
   */
  async #forgetUnsynced(): Promise<void> {
    try {
      await this.#handle.truncate(this.#syncedEnd)
      await this.#handle.sync()
      this.#end = this.#syncedEnd
      this.#padEnd = this.#syncedEnd
    } catch {
      // nothing more to do: the next open's recovery is the last line of defence
    }
  }

  /** A write failed: cut what it may have left and make the cut durable, or poison the log. */
  async #rollback(err: unknown): Promise<never> {
    await this.#cutBack(err)
    throw new WriteFailedError(this.#files.path, err)
  }

  /** Cuts the file back to its last acknowledged end, durably (free space included), or poisons the log. */
  async #cutBack(err: unknown): Promise<void> {
    try {
      await this.#handle.truncate(this.#end)
      await this.#handle.sync()
      this.#padEnd = this.#end
      this.#syncedEnd = this.#end
    } catch (repairErr) {
      throw this.#poisonWith(err, repairErr)
    }
  }

  #poisonWith(err: unknown, repairErr?: unknown): PoisonedError {
    this.#poison ??= { cause: repairErr === undefined ? err : new AggregateError([err, repairErr], 'write and repair failed') }
    return new PoisonedError(this.#files.path, this.#poison.cause)
  }

  /** Seals the active file as the next archive and starts a new one (see FORMAT.md, "Files"). */
  async #rotate(): Promise<void> {
    try {
      // Sealed: no free space, everything durable, before it gets its archive name.
      if (this.#padEnd > this.#end) await this.#handle.truncate(this.#end)
      await this.#handle.sync()
      this.#padEnd = this.#end
      await this.#handle.close()
      const n = (this.#archives[this.#archives.length - 1] ?? 0) + 1
      await this.#fs.rename(this.#files.path, join(this.#files.dir, archiveName(this.#files, n)))
      this.#archives.push(n)
      const header = formatHeader(this.#lastSeq + 1)
      await writeFileAtomic(this.#fs, this.#files.path, header)
      this.#handle = await this.#fs.open(this.#files.path, 'r+')
      this.#end = header.length
      this.#syncedEnd = header.length
      this.#padEnd = header.length
      this.#headerEnd = header.length
    } catch (err) {
      throw this.#poisonWith(err)
    }
  }

  /** `startSeq` of the file after archive index `index - 1` (an archive, or the active file). */
  async #startSeqOf(index: number): Promise<number | undefined> {
    const n = this.#archives[index]
    const file = n === undefined ? this.#files.path : join(this.#files.dir, archiveName(this.#files, n))
    let handle: FileHandle
    try {
      handle = await this.#fs.open(file, 'r')
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return undefined
      throw err
    }
    try {
      return await readStartSeq(handle, file, await handle.size())
    } finally {
      await handle.close()
    }
  }

  /**
   * Yields the committed records of one file, a chunk's worth at a time (one await per chunk,
   * not per record); returns true once `upTo` was yielded.
   */
  async *#readFile(
    handle: FileHandle,
    file: string,
    size: number,
    fromSeq: number,
    upTo: number,
  ): AsyncGenerator<LogEntry<T>[], boolean, undefined> {
    const skip = this.#mode === 'skip-corrupt'
    const lines = readLines(handle, 0, size, 1)
    let assembler: TransactionAssembler<LogEntry<T>> | undefined
    let out: LogEntry<T>[] = []
    const commit = (item: LogEntry<T>): void => {
      if (item.seq >= fromSeq && item.seq <= upTo) out.push(item)
    }
    const decode = (seq: number, buf: Buffer, start: number, end: number, lineNo: number): LogEntry<T> => {
      if (seq < fromSeq || seq > upTo) return { seq, record: undefined as unknown as T }
      try {
        return { seq, record: jsonCodec.parse(buf.toString('utf8', start, end)) as T }
      } catch (err) {
        throw new NdjsonCorruptError(file, lineNo, `record is not valid JSON: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
    try {
      for (;;) {
        const step = await lines.next()
        if (step.done === true) {
          if (assembler === undefined) checkHeader(file, undefined)
          assembler!.finish(step.value.end, step.value.partialBytes, step.value.partialLineNo)
          if (!skip && assembler!.first !== undefined) {
            throw new NdjsonCorruptError(file, assembler!.first.lineNo, assembler!.first.reason)
          }
          return assembler!.lastSeq >= upTo
        }
        for (const line of step.value) {
          if (assembler === undefined) {
            assembler = new TransactionAssembler<LogEntry<T>>(checkHeader(file, line), line.next, skip, commit)
            continue
          }
          const parsed = parseRaw(line)
          const item =
            parsed.kind === 'record'
              ? decode(parsed.seq, line.buf, parsed.recStart, parsed.recEnd, line.lineNo)
              : (undefined as unknown as LogEntry<T>)
          assembler.line(line.lineNo, line.offset, line.next, parsed, item)
          if (!skip && assembler.first !== undefined) {
            throw new NdjsonCorruptError(file, assembler.first.lineNo, assembler.first.reason)
          }
          if (assembler.lastSeq >= upTo) break
        }
        if (out.length > 0) {
          const batch = out
          out = []
          yield batch
        }
        if (assembler !== undefined && assembler.lastSeq >= upTo) return true
      }
    } finally {
      await lines.return({ end: 0, partialBytes: 0, partialLineNo: 0 })
    }
  }
}

/**
 * `ev` and `ev.ndjson` in one directory would share archive names (`ev.000001.ndjson`): each would
 * adopt, or overwrite, the other's archives. Refuse to open one while the other is a log.
 */
async function refuseSiblingLog(fs: FileSystem, files: LogFiles): Promise<void> {
  const sibling = siblingPath(files)
  let head: Uint8Array
  try {
    const handle = await fs.open(sibling, 'r')
    try {
      head = new Uint8Array(64)
      head = head.subarray(0, await handle.read(head, 0))
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (isFsError(err, 'ENOENT') || isFsError(err, 'EISDIR')) return
    throw err
  }
  if (new TextDecoder().decode(head).includes(`"format":"${FORMAT_MAGIC}"`)) {
    throw new InvalidArgumentError(`${files.path}: ${sibling} is a log too, and the two would share archive names`)
  }
}

/** True when the log's directory holds an archive of it. */
async function hasArchives(fs: FileSystem, files: LogFiles): Promise<boolean> {
  try {
    return (await fs.readdir(files.dir)).some((name) => archiveNumber(files, name) !== undefined)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return false
    throw err
  }
}
