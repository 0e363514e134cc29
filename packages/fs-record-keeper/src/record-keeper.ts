import { integerOption, openStore, optionKeys, Poison, queueLimitOptions, StoreState, type QueueLimits } from '@quire/durable'
import {
  NO_LOCK,
  enforceOpenMode,
  ensureDir,
  expectPathKind,
  limitOpenFiles,
  Mutex,
  NodeFileSystem,
  ReadOnlyFileSystem,
  resolveOpenMode,
  storePathState,
  undoFailedOpen,
  type DirLock,
  type FileSystem,
  type OpenModeOptions,
} from '@quire/vfs'
import { resolve } from 'node:path'
import { AddQueue, type QueuedAdd } from './add-queue.js'
import { emptyScan, rkPaths, scanChain, type ChainScan, type RkPaths } from './chain-scan.js'
import { ChainWriter } from './chain-writer.js'
import { errnoOf, RecordKeeperError } from './errors.js'
import { encodeEvent } from './event-input.js'
import { readLinkedEvent } from './event-reader.js'
import { checkFormatMarker, RECORD_KEEPER_MAGIC, RECORD_KEEPER_OLDER } from './format-marker.js'
import { assertUuid, prefixDirs } from './ids.js'
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS, MIN_EVENT_BYTES, READ_CONCURRENCY } from './limits.js'
import { readOnlyReport, refuseUnrecoverable, repair, type RecoveryReport } from './recovery.js'
import { TailWriter } from './tail-writer.js'
import { isRkEntry, RK_ROLE, toReport, verifyRecordKeeper, type RecordKeeperReport } from './verify.js'

/** An event: a JSON object whose `id` is a canonical lower-case UUID. */
export interface RecordKeeperEvent {
  readonly id: string
  readonly [field: string]: unknown
}

/**
 * Options of `RecordKeeper.open`. Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`), for the store in `<dir>/rk`: `createIfMissing` (default
 * `true`; `false`: `NOT_FOUND` when `<dir>/rk` is missing or empty), `errorIfExists` (default
 * `false`: `EXISTS` when it holds anything), `readOnly` (default `false`: with `true`, no lock is
 * taken and nothing is written, not even recovery's repairs (orphans, temp files and a stale
 * `tail` stay; `recovery` says what a writable open would do); `add` rejects with `READ_ONLY`;
 * works on a read-only copy and next to a live writer, seeing the history as it was at open).
 */
export interface RecordKeeperOptions extends OpenModeOptions {
  /** The file system to write through (default: the real one, `new NodeFileSystem()`). */
  readonly fs?: FileSystem
  /** Largest event file in bytes, framing included (default 1 MiB, at least 256). */
  readonly maxEventBytes?: number
  /**
   * Most adds accepted and not yet settled (default 65 536, `DEFAULT_MAX_QUEUED_OPERATIONS`). One
   * more rejects at once with `OVERLOADED`, nothing written: memory stays bounded when callers
   * outrun the disk.
   */
  readonly maxQueuedOperations?: number
  /**
   * Most bytes of event files of those adds (default 64 MiB, `DEFAULT_MAX_QUEUED_BYTES`). An add
   * that would pass it rejects at once with `OVERLOADED`, unless nothing else waits.
   */
  readonly maxQueuedBytes?: number
}

/** Every key `RecordKeeper.open` knows (checked against {@link RecordKeeperOptions} when compiled). */
const OPEN_OPTION_KEYS = optionKeys<RecordKeeperOptions>()(
  ['fs', 'maxEventBytes', 'maxQueuedOperations', 'maxQueuedBytes', 'createIfMissing', 'errorIfExists', 'readOnly'] as const,
  'RecordKeeper.open',
  (message) => new RecordKeeperError('INVALID_ARGUMENT', message),
)

/** Every key `RecordKeeper.events` knows. */
const EVENTS_OPTION_KEYS = optionKeys<{ readonly after?: string }>()(['after'] as const, 'RecordKeeper.events', (message) => new RecordKeeperError('INVALID_ARGUMENT', message))

/** What the constructor needs: the open store, recovered. */
interface OpenedStore {
  readonly fs: FileSystem
  readonly paths: RkPaths
  readonly lock: DirLock
  readonly maxEventBytes: number
  readonly limits: QueueLimits
  readonly scan: ChainScan
  /** Directories of the event tree known to be durable (created and parent-synced). */
  readonly durableDirs: Set<string>
  readonly recovery: RecoveryReport
  readonly readOnly: boolean
}

/**
 * A file-system event history, laid out as gonk's `RecordKeeper`: a linked list of JSON event
 * files in a depth-3 prefix tree (`rk/events/a/b/c/<uuid>`), with `rk/head` and `rk/tail`. Unlike
 * gonk, every step is crash-safe (see FORMAT.md): an acknowledged `add` survives any crash, a crash
 * never leaves a torn or half-linked history, and an id whose add was lost can be added again.
 *
 * Only acknowledged, durable state is visible: `read`, `exists`, `next`, `tail` and `events` never
 * show an event whose `add` has not resolved.
 *
 * This file is the API; the jobs are in their own files: `recovery.ts` (open's checks and
 * repairs), `add-queue.ts` (the group commit), `chain-writer.ts` (writing and linking a group),
 * `tail-writer.ts`, `event-reader.ts`, `verify.ts`.
 */
export class RecordKeeper implements AsyncDisposable {
  readonly #fs: FileSystem
  readonly #paths: RkPaths
  readonly #maxEventBytes: number
  readonly #recovery: RecoveryReport
  /** Ids in history order: `#order[#index.get(id)] === id`. */
  readonly #order: string[]
  readonly #index = new Map<string, number>()
  /** Close once, the closed / read-only / poisoned guards, and the poison the add queue shares. */
  readonly #state: StoreState
  readonly #adds: AddQueue
  readonly #chain: ChainWriter
  /** One group commit or `verify` at a time. */
  readonly #writer = new Mutex()
  readonly #tailWriter: TailWriter
  /**
   * The file system for `read` and `events`: callers may read thousands of events at once, and
   * past the process's open-file limit every open fails (EMFILE); reads wait for a slot instead.
   * Group commits keep `fs`: a group holds all its files open together (at most MAX_GROUP_EVENTS).
   */
  readonly #reads: FileSystem

  private constructor(store: OpenedStore) {
    const { fs, paths, scan } = store
    this.#fs = fs
    this.#paths = paths
    this.#maxEventBytes = store.maxEventBytes
    this.#recovery = store.recovery
    const poison = new Poison(
      (cause) => new RecordKeeperError('POISONED', `an earlier write failed${errnoOf(cause)}; reopen the record keeper`, { cause }),
    )
    this.#state = new StoreState({
      poison,
      readOnly: store.readOnly,
      errors: {
        closed: () => new RecordKeeperError('CLOSED', 'the record keeper is closed'),
        readOnly: () => new RecordKeeperError('READ_ONLY', `${paths.rk} was opened with readOnly: true; nothing was written`),
      },
      // Queued adds finish, then the newest link's rename and the tail hint, then the lock goes.
      onClose: async () => {
        await this.#adds.drained()
        // A poisoned store writes nothing more: recovery finishes the newest link from its temp file.
        if (!poison.poisoned) await this.#writer.run(() => this.#finishLinks()).catch((err: unknown) => void poison.poison(err))
        await this.#tailWriter.settle()
        await store.lock.release()
      },
    })
    this.#order = scan.chain
    scan.chain.forEach((id, i) => this.#index.set(id, i))
    this.#reads = limitOpenFiles(fs)
    this.#chain = new ChainWriter(fs, paths, scan.last, store.durableDirs)
    this.#tailWriter = new TailWriter(fs, paths.tail, this.#order.at(-1) ?? null, (err) => void poison.poison(err))
    this.#adds = new AddQueue(store.limits, poison, `record keeper ${paths.rk}`, (group) => this.#writer.run(() => this.#commitGroup(group)))
  }

  /**
   * Opens (creating if needed) the record keeper in `<dir>/rk`, takes its lock (`LOCKED` if another
   * writer holds it) and recovers: follows the chain from `head`, makes its end durable, removes
   * orphans and temp files, repairs a stale `rk/tail`. `CORRUPT` when the chain is broken (a crash
   * cannot cause that; run {@link RecordKeeper.verify} for details).
   */
  static async open(dir: string, options: RecordKeeperOptions = {}): Promise<RecordKeeper> {
    if (typeof dir !== 'string' || dir.length === 0) {
      throw new RecordKeeperError('INVALID_ARGUMENT', 'dir must be a non-empty path')
    }
    OPEN_OPTION_KEYS.check(options)
    const maxEventBytes = integerOption('maxEventBytes', options.maxEventBytes, { min: MIN_EVENT_BYTES, max: Number.MAX_SAFE_INTEGER }, DEFAULT_MAX_EVENT_BYTES, invalid)
    const limits = queueLimitOptions(options, { maxQueuedOperations: DEFAULT_MAX_QUEUED_OPERATIONS, maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES }, invalid)
    const mode = resolveOpenMode(options, invalid)
    const fs = options.fs ?? new NodeFileSystem()
    const paths = rkPaths(resolve(dir))
    const state = await storePathState(fs, paths.rk, 'directory', RK_ROLE, isRkEntry)
    await expectPathKind(fs, paths.events, 'directory', "the record keeper's event tree")
    enforceOpenMode(mode, state, paths.rk, RK_ROLE)
    if (mode.readOnly) return RecordKeeper.#openReadOnly(new ReadOnlyFileSystem(fs), paths, maxEventBytes, limits)
    return openStore({
      fs,
      dir: paths.rk,
      recover: () => RecordKeeper.#recover(fs, paths),
      construct: ({ scan, recovery }, lock) => {
        const durableDirs = new Set<string>()
        for (const id of new Set(scan.chain.map((id) => id.slice(0, 3)))) {
          for (const d of prefixDirs(paths.events, id)) durableDirs.add(d)
        }
        return new RecordKeeper({ fs, paths, lock, maxEventBytes, limits, scan, durableDirs, recovery, readOnly: false })
      },
    })
  }

  /**
   * Open's recovery, under the lock: the FORMAT marker (written for a new store), the event tree,
   * the scan, the refusals and the repairs. If it fails, what it created inside `<dir>/rk` goes
   * again, under the lock (`openStore` then removes `rk` itself when this open created it).
   */
  static async #recover(fs: FileSystem, paths: RkPaths): Promise<{ scan: ChainScan; recovery: RecoveryReport }> {
    let formatCreated = false
    let eventsCreated: string[] = []
    try {
      formatCreated = await checkFormatMarker(fs, paths.format, RECORD_KEEPER_MAGIC, RecordKeeperError, false, RECORD_KEEPER_OLDER)
      // syncExisting: a killed writer may have left it without making it durable.
      eventsCreated = await ensureDir(fs, paths.events, { syncExisting: true })
      const scan = await scanChain(fs, paths)
      refuseUnrecoverable(scan, paths, false)
      return { scan, recovery: await repair(fs, paths, scan) }
    } catch (err) {
      // A failed open leaves the disk as it found it.
      if (formatCreated) await fs.unlink(paths.format).catch(() => undefined)
      await undoFailedOpen(fs, eventsCreated)
      throw err
    }
  }

  /**
   * A read-only open: no lock, and `fs` refuses every change. The chain is followed and checked as
   * a writable open does; nothing is repaired (the report says what would be).
   */
  static async #openReadOnly(fs: FileSystem, paths: RkPaths, maxEventBytes: number, limits: QueueLimits): Promise<RecordKeeper> {
    await checkFormatMarker(fs, paths.format, RECORD_KEEPER_MAGIC, RecordKeeperError, true, RECORD_KEEPER_OLDER)
    const scan = (await fs.exists(paths.events)) ? await scanChain(fs, paths) : emptyScan()
    refuseUnrecoverable(scan, paths, true)
    const recovery = readOnlyReport(scan)
    return new RecordKeeper({ fs, paths, lock: NO_LOCK, maxEventBytes, limits, scan, durableDirs: new Set(), recovery, readOnly: true })
  }

  /**
   * Checks the record keeper in `<dir>/rk` without opening it and without changing anything. It
   * takes no lock, so it runs next to a live writer (then an add in flight may show as an orphan
   * or a stale tail: the report is of one moment) and on a read-only copy.
   *
   * @throws `StoreNotFoundError` (`NOT_FOUND`) when there is no record keeper in `<dir>` (never
   *   an `ok` report about a store that is not there), `PathKindError` when the path is the wrong
   *   kind of thing, `INVALID_ARGUMENT` for an unknown option key.
   */
  static async verify(dir: string, options: { readonly fs?: FileSystem } = {}): Promise<RecordKeeperReport> {
    return verifyRecordKeeper(dir, options)
  }

  /** What recovery found and repaired when this instance opened. */
  get recovery(): RecoveryReport {
    return this.#recovery
  }

  /**
   * Appends `event` (a JSON object with a canonical lower-case UUID `id`) to the history. Resolves
   * once it is durable with its link (the relinked file, or its temp file that recovery renames
   * into place: FORMAT.md): it then survives any crash. Concurrent adds are ordered by call and
   * written in groups, one round of syncs each. `EXISTS` when the id is in the history or being added;
   * `INVALID_ARGUMENT` for a bad event (nothing written).
   */
  async add(event: RecordKeeperEvent): Promise<void> {
    this.#assertWritable()
    const encoded = encodeEvent(event, this.#maxEventBytes)
    if (this.#index.has(encoded.id) || this.#adds.has(encoded.id)) {
      throw new RecordKeeperError('EXISTS', `event ${encoded.id} already exists`)
    }
    return this.#adds.enqueue(encoded)
  }

  /** The event with this id, exactly as added. `NOT_FOUND` if it is not in the history. */
  async read(id: string): Promise<RecordKeeperEvent> {
    assertUuid(id, 'id', RecordKeeperError)
    this.#assertOpen()
    if (!this.#index.has(id)) throw new RecordKeeperError('NOT_FOUND', `event ${id} does not exist`)
    return readLinkedEvent(this.#reads, this.#paths.events, id)
  }

  /** True when the event is in the history (its add was acknowledged). No I/O. */
  async exists(id: string): Promise<boolean> {
    assertUuid(id, 'id', RecordKeeperError)
    this.#assertOpen()
    return Promise.resolve(this.#index.has(id))
  }

  /**
   * The id after `id` in the history, or the first id when `id` is omitted; null after the last
   * event (or for an empty history). `NOT_FOUND` for an id not in the history.
   */
  async next(id?: string): Promise<string | null> {
    if (id !== undefined) assertUuid(id, 'id', RecordKeeperError)
    this.#assertOpen()
    if (id === undefined) return Promise.resolve(this.#order[0] ?? null)
    const at = this.#index.get(id)
    if (at === undefined) throw new RecordKeeperError('NOT_FOUND', `event ${id} does not exist`)
    return Promise.resolve(this.#order[at + 1] ?? null)
  }

  /** The last event's id, or null when the history is empty. */
  async tail(): Promise<string | null> {
    this.#assertOpen()
    return Promise.resolve(this.#order.at(-1) ?? null)
  }

  /**
   * Walks the history in order, from the first event (or from the one after `after`), reading
   * ahead. Events acknowledged while the walk runs are included. `NOT_FOUND` for an unknown `after`.
   */
  async *events(options: { readonly after?: string } = {}): AsyncGenerator<RecordKeeperEvent, void, undefined> {
    EVENTS_OPTION_KEYS.check(options)
    const { after } = options
    if (after !== undefined) assertUuid(after, 'after', RecordKeeperError)
    this.#assertOpen()
    let position = 0
    if (after !== undefined) {
      const at = this.#index.get(after)
      if (at === undefined) throw new RecordKeeperError('NOT_FOUND', `event ${after} does not exist`)
      position = at + 1
    }
    const ahead: Promise<RecordKeeperEvent>[] = []
    for (;;) {
      while (ahead.length < READ_CONCURRENCY && position + ahead.length < this.#order.length) {
        const read = readLinkedEvent(this.#reads, this.#paths.events, this.#order[position + ahead.length]!)
        // A walk abandoned early must not leave an unhandled rejection behind.
        read.catch(() => undefined)
        ahead.push(read)
      }
      const nextRead = ahead.shift()
      if (nextRead === undefined) return
      const event = await nextRead
      position++
      yield event
    }
  }

  /**
   * Walks the whole structure (between groups of adds) and reports orphans, broken links, damaged
   * files, stray files and a stale `rk/tail`. Changes nothing.
   */
  async verify(): Promise<RecordKeeperReport> {
    this.#assertOpen()
    return this.#writer.run(async () => {
      if (!this.#state.poison.poisoned) await this.#finishLinks()
      return toReport(await scanChain(this.#fs, this.#paths))
    })
  }

  /** Lets queued adds finish, then releases the lock. Idempotent. */
  async close(): Promise<void> {
    return this.#state.close()
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #assertOpen(): void {
    this.#state.assertOpen()
  }

  /** `CLOSED`, then `READ_ONLY`, then `POISONED` (the first cause). */
  #assertWritable(): void {
    this.#state.assertWritable('RecordKeeper.add')
  }

  /** Writes and syncs one group with its link, then (durable) shows it in memory and, now and then, asks for the tail hint. */
  async #commitGroup(group: readonly QueuedAdd[]): Promise<void> {
    const records = await this.#chain.append(group)
    for (const record of records) {
      this.#index.set(record.id, this.#order.length)
      this.#order.push(record.id)
    }
    // Step 3 of FORMAT.md's append order, in the background and only now and then: the tail hint,
    // naming the last event whose link is durable by its rename.
    const linked = this.#chain.linked
    if (linked !== null) this.#tailWriter.hint(linked, records.length)
  }

  /** Renames the newest link into place and brings `rk/tail` up to date (for `close` and `verify`). */
  async #finishLinks(): Promise<void> {
    await this.#chain.finishLink()
    const linked = this.#chain.linked
    if (linked !== null) this.#tailWriter.request(linked)
    await this.#tailWriter.settle()
  }
}

const invalid = (message: string): RecordKeeperError => new RecordKeeperError('INVALID_ARGUMENT', message)
