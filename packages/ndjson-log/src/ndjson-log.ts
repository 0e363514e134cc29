import { GroupCommit, integerOption, openStore, Poison, StoreState } from '@quire/durable'
import {
  NO_LOCK,
  enforceOpenMode,
  expectPathKind,
  isFsError,
  NodeFileSystem,
  ReadOnlyError,
  ReadOnlyFileSystem,
  resolveOpenMode,
  storePathState,
  type DirLock,
  type FileSystem,
} from '@quire/vfs'
import { ClosedError, InvalidArgumentError, OverloadedError, PoisonedError, WriteFailedError } from './errors.js'
import { logFiles, type LogFiles } from './files.js'
import { encodedBoundBytes } from './format.js'
import { LOCK_ATTEMPTS } from './limits.js'
import type { LogEntry, LogRecord } from './log-entry.js'
import { hasArchives, refuseSiblingLog } from './open-steps.js'
import { invalid, OPEN_OPTION_KEYS, READ_OPTION_KEYS, resolveSettings, type LogSettings, type NdjsonLogOptions, type ReadOptions } from './options.js'
import { readEntries, type ReadRange } from './reader.js'
import { recoverLog, type RecoveredLog } from './recovery.js'
import type { RecoveryReport } from './recovery-report.js'
import { serializeRecord } from './serialize.js'
import { LogWriter, type AppendRequest, type WriteResult } from './writer.js'

/** What the log's file is called in errors. */
const ROLE = 'NDJSON log file'

/**
 * A human-readable append-only log: one JSON object per line, checksummed, group-committed,
 * with atomic batches and recovery of torn tails. See README.md and FORMAT.md.
 *
 * This file is the API; the lines are written by `writer.ts` (rotated by `rotation.ts`), read by
 * `reader.ts`, recovered by `recovery.ts`. The lifecycle, the group commit and the durable append
 * discipline are `@quire/durable`'s.
 */
export class NdjsonLog<T extends object = LogRecord> implements AsyncDisposable {
  readonly #fs: FileSystem
  readonly #files: LogFiles
  readonly #settings: LogSettings
  readonly #state: StoreState
  readonly #writer: LogWriter<T>
  readonly #commit: GroupCommit<AppendRequest<T>>
  readonly #recovery: RecoveryReport

  private constructor(fs: FileSystem, files: LogFiles, lock: DirLock, readOnly: boolean, settings: LogSettings, recovered: RecoveredLog) {
    this.#fs = fs
    this.#files = files
    this.#settings = settings
    this.#recovery = recovered.report
    const poison = new Poison((cause) => new PoisonedError(files.path, cause))
    const writer = new LogWriter<T>({ fs, files, poison, ...settings, ...recovered })
    this.#writer = writer
    this.#commit = new GroupCommit<AppendRequest<T>>({
      limits: settings,
      poison,
      overloaded: (d) => new OverloadedError(files.path, d.limit, d.max, d.queuedOperations, d.queuedBytes),
      // The log's policy since its first release: one event-loop turn per group, so every
      // caller woken by the previous group joins the next one however long its await chain. It
      // is what this log's figures (apps/bench/REPORT.md) were measured with; see
      // @quire/durable's README for the measured comparison.
      scheduling: { kind: 'macrotask' },
      take: (queue) => writer.take(queue),
      flush: async (group, commit) => {
        let seq: number
        try {
          seq = await writer.write(group)
        } catch (err) {
          // Rolled back: nothing of the group is in the log, which goes on. Anything else poisons.
          if (!(err instanceof WriteFailedError)) throw err
          for (const r of group) commit.reject(r, err)
          return
        }
        for (const r of group) {
          commit.resolve(r, r.record === undefined ? seq : { seq, record: r.record })
          seq += r.records.length
        }
      },
    })
    this.#state = new StoreState({
      poison,
      readOnly,
      errors: { closed: () => new ClosedError(files.path), readOnly: () => new ReadOnlyError(`appending to ${files.path}`) },
      onClose: async () => {
        await this.#commit.drain()
        const failure = await writer.close()
        await lock.release()
        // The lock directory goes with the lock: a clean close leaves only the log's own files. (It
        // stays when another opener already made its lock in it; that opener removes it.)
        if (!readOnly) await fs.rmdir(files.lockDir).catch(() => undefined)
        if (failure !== undefined) throw failure
      },
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
    OPEN_OPTION_KEYS.check(opts)
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
    // An active file this open created (a header, nothing more) goes again if the open fails,
    // while the lock holds; openStore removes the directories it created and releases the lock.
    const forgetCreatedFile = async (): Promise<void> => {
      if (!fileExisted) await fs.unlink(files.path).then(() => fs.syncDir(files.dir), () => undefined)
    }
    for (let attempt = 1; ; attempt++) {
      let locked = false
      try {
        // The lock lives in its own directory next to the file (named after the stem, like the
        // archives): openStore makes it, and the log's directory, durable.
        return await openStore<RecoveredLog, NdjsonLog<T>>({
          fs,
          dir: files.lockDir,
          lock: { subject: files.path },
          recover: async () => {
            locked = true
            try {
              await refuseSiblingLog(fs, files)
              return await recoverLog(fs, files, settings.mode)
            } catch (err) {
              await forgetCreatedFile()
              throw err
            }
          },
          construct: (recovered, lock) => new NdjsonLog<T>(fs, files, lock, false, settings, recovered),
          discard: async (recovered) => {
            await recovered.handle.close().catch(() => undefined)
            await forgetCreatedFile()
          },
        })
      } catch (err) {
        // A writer closing right now removed the lock directory after this open created or found
        // it, before the lock was taken: make it again.
        if (locked || !isFsError(err, 'ENOENT') || attempt >= LOCK_ATTEMPTS) throw err
      }
    }
  }

  /** True when the log was opened with `readOnly: true`: every write rejects with `READ_ONLY`. */
  get readOnly(): boolean {
    return this.#state.readOnly
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
    return this.#state.poison.poisoned
  }

  /**
   * Appends one record. Resolves once it is acknowledged (with `sync: 'always'`, durable).
   * The record is validated and serialized first: a bad one rejects with `InvalidRecordError`
   * naming the path, and nothing is written.
   */
  append(record: T): Promise<LogEntry<T>> {
    // Not an async function: one promise less per append on the hottest path. Errors before the
    // enqueue still come back as rejections, never as synchronous throws.
    let json: string
    let bytes: number
    try {
      this.#state.assertWritable('append')
      this.#refuseWhenFull()
      const [text, textBytes] = serializeRecord(record, 'record', this.#settings.maxRecordBytes)
      json = text
      bytes = encodedBoundBytes(textBytes, 1)
      const refused = this.#commit.admit(bytes)
      if (refused !== undefined) throw refused
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    return new Promise<WriteResult<T>>((resolve, reject) => {
      this.#commit.enqueue({ records: [json], record, bytes, sync: false, resolve, reject, settled: false })
    }) as Promise<LogEntry<T>>
  }

  /**
   * Appends records as one transaction: one write with a commit boundary (its last line), so
   * after any crash either all of them are in the log or none. Every record is validated and
   * serialized before anything is written. Resolves with the entries in order.
   */
  async appendBatch(records: readonly T[]): Promise<LogEntry<T>[]> {
    this.#state.assertWritable('appendBatch')
    const list: unknown = records
    if (!Array.isArray(list)) throw new InvalidArgumentError('appendBatch expects an array of records')
    const { maxBatchRecords, maxRecordBytes } = this.#settings
    if (records.length > maxBatchRecords) {
      throw new InvalidArgumentError(`a batch of ${records.length} records exceeds maxBatchRecords (${maxBatchRecords})`)
    }
    if (records.length === 0) return []
    this.#refuseWhenFull()
    const jsons: string[] = []
    let jsonBytes = 0
    for (let i = 0; i < records.length; i++) {
      const [json, n] = serializeRecord(records[i], `records[${i}]`, maxRecordBytes)
      jsons.push(json)
      jsonBytes += n
    }
    const first = (await this.#submit(jsons, encodedBoundBytes(jsonBytes, jsons.length), false)) as number
    return records.map((record, i) => ({ seq: first + i, record }))
  }

  /**
   * Waits for every append issued before it, then `fdatasync`s the file: a durable point for
   * `sync: 'none'` (with `'always'` everything acknowledged already is durable).
   */
  async sync(): Promise<void> {
    this.#state.assertWritable('sync')
    await this.#submit([], 0, true)
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

  /** Closes the log: waits for queued appends, syncs, releases the lock. Idempotent. */
  close(): Promise<void> {
    return this.#state.close()
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Checks a read's options when it starts (on its first `next()`) and fixes its range. */
  #readRange(opts: ReadOptions): ReadRange {
    this.#state.assertOpen()
    READ_OPTION_KEYS.check(opts)
    const fromSeq = opts.fromSeq ?? 1
    integerOption('fromSeq', fromSeq, { min: 1, max: Number.MAX_SAFE_INTEGER })
    return { fromSeq, upTo: this.#writer.lastSeq }
  }

  /** Refuses at once, before the cost of serializing, when the queue is full already. */
  #refuseWhenFull(): void {
    const queued = this.#commit.queued
    if (queued.operations >= this.#settings.maxQueuedOperations || queued.bytes >= this.#settings.maxQueuedBytes) {
      // Over a limit, admit refuses whatever the size, and takes no room.
      throw this.#commit.admit(0) ?? new Error('unreachable: the queue is full')
    }
  }

  #submit(records: string[], bytes: number, sync: boolean): Promise<WriteResult<T>> {
    const refused = this.#commit.admit(bytes)
    if (refused !== undefined) return Promise.reject(refused)
    return new Promise<WriteResult<T>>((resolve, reject) => {
      this.#commit.enqueue({ records, record: undefined, bytes, sync, resolve, reject, settled: false })
    })
  }
}
