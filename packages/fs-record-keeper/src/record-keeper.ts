import { jsonCodec } from '@quire/codec'
import {
  acquireLock,
  checkOptionKeys,
  enforceOpenMode,
  ensureDir,
  expectPathKind,
  isFsError,
  limitOpenFiles,
  NodeFileSystem,
  ReadOnlyFileSystem,
  resolveOpenMode,
  storePathState,
  StoreNotFoundError,
  safeJoin,
  TEMP_SUFFIX,
  undoFailedOpen,
  writeFileAtomic,
  type DirLock,
  type FileHandle,
  type FileSystem,
  type OpenFlags,
  type OpenModeOptions,
} from '@quire/vfs'
import { randomBytes } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { rkPaths, scanChain, type ChainScan, type RkPaths } from './chain-scan.js'
import { errnoOf, RecordKeeperError } from './errors.js'
import { decodeEventFile, encodeEventFile, eventFileBytes, type EventRecord } from './event-file.js'
import { checkFormatMarker, RECORD_KEEPER_MAGIC } from './format-marker.js'
import { assertUuid, leafDir, prefixDirs } from './ids.js'
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS, MAX_GROUP_EVENTS, READ_CONCURRENCY } from './limits.js'
import { Mutex } from './mutex.js'
import { EVENTS_OPTION_KEYS, RECORD_KEEPER_OPTION_KEYS, VERIFY_OPTION_KEYS } from './option-keys.js'
import { QueueBudget, queueLimits, type QueueLimits } from './queue-budget.js'
import { encodePointer } from './pointer-file.js'
import { readSmallFile } from './small-file.js'
import { TailWriter } from './tail-writer.js'
import { mapLimit } from './tree-scan.js'

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
  /** Largest event file in bytes, framing included (default 1 MiB). */
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

/** What `open` found and repaired. */
export interface RecoveryReport {
  /** Events on the chain. */
  readonly events: number
  /** Event files written but never linked (and damaged unlinked files), removed. */
  readonly orphansRemoved: number
  /** Temp files of interrupted atomic replaces, removed. */
  readonly tempFilesRemoved: number
  /** True when `rk/tail` did not name the true tail and was rewritten. */
  readonly tailRepaired: boolean
  /**
   * True when the store was opened with `readOnly: true`: nothing was changed, and the counts say
   * what a writable open would remove or repair.
   */
  readonly readOnly: boolean
}

/** What `verify` found; `ok` when there is nothing to report. */
export interface RecordKeeperReport {
  readonly ok: boolean
  /** Events on the chain (up to the first broken link). */
  readonly events: number
  readonly head: string | null
  /** The last event reachable from `head`. */
  readonly tail: string | null
  /** What `rk/tail` names (null when absent or damaged). */
  readonly recordedTail: string | null
  /** `rk/tail` is absent, damaged, or does not name the last event. */
  readonly staleTail: boolean
  /** Links that lead nowhere or to a damaged file, damaged pointer files, cycles. */
  readonly brokenLinks: readonly string[]
  /** Well-formed event files not on the chain (paths). */
  readonly orphans: readonly string[]
  /** Event files not on the chain that fail their checks (paths). */
  readonly damaged: readonly string[]
  /** Temp files and entries that have no place in the layout (paths). */
  readonly strays: readonly string[]
}

interface QueuedAdd {
  readonly id: string
  readonly eventJson: string
  /** Bytes counted against `maxQueuedBytes` (its event file). */
  readonly bytes: number
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

const utf8 = new TextEncoder()

/** Waits for every promise to settle, then throws the first rejection, if any. */
async function allOrFirstError(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises)
  for (const r of results) if (r.status === 'rejected') throw r.reason
}

function toReport(scan: ChainScan): RecordKeeperReport {
  const tail = scan.chain.at(-1) ?? null
  const recordedTail = typeof scan.recordedTail === 'string' ? scan.recordedTail : null
  const brokenLinks = [...scan.brokenLinks]
  const damaged = [...scan.damaged]
  if (scan.recordedTail !== null && typeof scan.recordedTail !== 'string') damaged.push(scan.recordedTail.damaged)
  const staleTail = recordedTail !== tail
  const strays = [...scan.temps, ...scan.strays, ...scan.newer]
  return {
    ok: brokenLinks.length === 0 && scan.orphans.length === 0 && damaged.length === 0 && strays.length === 0 && !staleTail,
    events: scan.chain.length,
    head: scan.chain[0] ?? null,
    tail,
    recordedTail,
    staleTail,
    brokenLinks,
    orphans: scan.orphans,
    damaged,
    strays,
  }
}

async function unlinkIfPresent(fs: FileSystem, path: string): Promise<void> {
  try {
    await fs.unlink(path)
  } catch (err) {
    if (!isFsError(err, 'ENOENT')) throw err
  }
}

/**
 * A file-system event history, laid out as gonk's `RecordKeeper`: a linked list of JSON event
 * files in a depth-3 prefix tree (`rk/events/a/b/c/<uuid>`), with `rk/head` and `rk/tail`. Unlike
 * gonk, every step is crash-safe (see FORMAT.md): an acknowledged `add` survives any crash, a crash
 * never leaves a torn or half-linked history, and an id whose add was lost can be added again.
 *
 * Only acknowledged, durable state is visible: `read`, `exists`, `next`, `tail` and `events` never
 * show an event whose `add` has not resolved.
 */
export class RecordKeeper implements AsyncDisposable {
  /** What recovery found and repaired when this instance opened. */
  readonly recovery: RecoveryReport

  private readonly queue: QueuedAdd[] = []
  /** Ids queued or being written: an `add` of one of them is `EXISTS`. */
  private readonly pending = new Set<string>()
  private readonly writer = new Mutex()
  private readonly tailWriter: TailWriter
  private flushing = false
  private drainWaiters: (() => void)[] = []
  private closing: Promise<void> | undefined
  private poisonCause: unknown = undefined
  private poisoned = false
  private readonly budget: QueueBudget
  /**
   * The file system for `read` and `events`: callers may read thousands of events at once, and
   * past the process's open-file limit every open fails (EMFILE); reads wait for a slot instead.
   * Group commits keep `fs`: a group holds all its files open together (at most MAX_GROUP_EVENTS).
   */
  private readonly reads: FileSystem

  private constructor(
    private readonly fs: FileSystem,
    private readonly paths: RkPaths,
    private readonly lock: DirLock,
    private readonly maxEventBytes: number,
    limits: QueueLimits,
    /** Ids in history order: `order[index.get(id)] === id`. */
    private readonly order: string[],
    private readonly index: Map<string, number>,
    /** The last event's file content (the one the next group relinks). */
    private last: EventRecord | null,
    /** Directories of the event tree known to be durable (created and parent-synced). */
    private readonly durableDirs: Set<string>,
    recovery: RecoveryReport,
    private readonly readOnly: boolean,
  ) {
    this.recovery = recovery
    this.budget = new QueueBudget(limits, RecordKeeperError, `record keeper ${paths.rk}`)
    this.reads = limitOpenFiles(fs)
    this.tailWriter = new TailWriter(fs, paths.tail, order.at(-1) ?? null, (err) => this.poison(err))
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
    checkOptionKeys(options, RECORD_KEEPER_OPTION_KEYS, 'RecordKeeper.open', invalid)
    const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES
    if (!Number.isSafeInteger(maxEventBytes) || maxEventBytes < 256) {
      throw new RecordKeeperError('INVALID_ARGUMENT', 'maxEventBytes must be an integer >= 256')
    }
    const limits = queueLimits(
      options,
      { maxQueuedOperations: DEFAULT_MAX_QUEUED_OPERATIONS, maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES },
      RecordKeeperError,
    )
    const mode = resolveOpenMode(options, invalid)
    const fs = options.fs ?? new NodeFileSystem()
    const paths = rkPaths(resolve(dir))
    const state = await storePathState(fs, paths.rk, 'directory', RK_ROLE)
    await expectPathKind(fs, paths.events, 'directory', "the record keeper's event tree")
    enforceOpenMode(mode, state, paths.rk, RK_ROLE)
    if (mode.readOnly) return RecordKeeper.openReadOnly(new ReadOnlyFileSystem(fs), paths, maxEventBytes, limits)
    // syncExisting: a killed writer may have left these directories without making them durable.
    const created = await ensureDir(fs, paths.rk, { syncExisting: true })
    let lock: DirLock | undefined
    let formatCreated = false
    let eventsCreated: string[] = []
    try {
      lock = await acquireLock(fs, paths.rk)
      formatCreated = await checkFormatMarker(fs, paths.format, RECORD_KEEPER_MAGIC, RecordKeeperError)
      eventsCreated = await ensureDir(fs, paths.events, { syncExisting: true })
      const scan = await scanChain(fs, paths)
      // A newer release's event file is never removed as an orphan or damage: refuse the store.
      if (scan.newer.length > 0) {
        throw new RecordKeeperError(
          'UNSUPPORTED_VERSION',
          `${scan.newer[0]!} (and ${scan.newer.length - 1} more) is an event file of a newer format, written by a newer release; this release will not touch the store`,
        )
      }
      // No crash leaves a tail without its head (the tail file is written only after the link it
      // names is durable): a missing head is damage, and recovery must not treat the whole
      // history as unlinked orphans to remove.
      if (scan.head === null && scan.recordedTail !== null) {
        throw new RecordKeeperError(
          'CORRUPT',
          `${paths.head} is missing but ${paths.tail} names an event; RecordKeeper.verify(dir) reports more`,
        )
      }
      if (scan.brokenLinks.length > 0) {
        throw new RecordKeeperError(
          'CORRUPT',
          `the history in ${paths.rk} is broken (${scan.brokenLinks.join('; ')}); RecordKeeper.verify(dir) reports more`,
        )
      }
      const recovery = await RecordKeeper.repair(fs, paths, scan)
      const index = new Map<string, number>()
      scan.chain.forEach((id, i) => index.set(id, i))
      const durableDirs = new Set<string>()
      for (const id of new Set(scan.chain.map((id) => id.slice(0, 3)))) {
        for (const d of prefixDirs(paths.events, id)) durableDirs.add(d)
      }
      return new RecordKeeper(fs, paths, lock, maxEventBytes, limits, scan.chain, index, scan.last, durableDirs, recovery, false)
    } catch (err) {
      // A failed open leaves the disk as it found it: what it created goes again, under the lock.
      if (lock !== undefined && created.length === 0) {
        if (formatCreated) await fs.unlink(paths.format).catch(() => undefined)
        await undoFailedOpen(fs, eventsCreated)
      }
      await undoFailedOpen(fs, created, lock)
      throw err
    }
  }

  /**
   * A read-only open: no lock, and `fs` refuses every change. The chain is followed and checked as
   * a writable open does; nothing is repaired (the report says what would be).
   */
  private static async openReadOnly(fs: FileSystem, paths: RkPaths, maxEventBytes: number, limits: QueueLimits): Promise<RecordKeeper> {
    await checkFormatMarker(fs, paths.format, RECORD_KEEPER_MAGIC, RecordKeeperError, true)
    const scan = (await fs.exists(paths.events)) ? await scanChain(fs, paths) : emptyScan()
    if (scan.newer.length > 0) {
      throw new RecordKeeperError('UNSUPPORTED_VERSION', `${scan.newer[0]!} (and ${scan.newer.length - 1} more) is an event file of a newer format, written by a newer release`)
    }
    if ((scan.head === null && scan.recordedTail !== null) || scan.brokenLinks.length > 0) {
      throw new RecordKeeperError('CORRUPT', `the history in ${paths.rk} is broken; RecordKeeper.verify(dir) reports more`)
    }
    const index = new Map<string, number>()
    scan.chain.forEach((id, i) => index.set(id, i))
    const recovery: RecoveryReport = {
      events: scan.chain.length,
      orphansRemoved: scan.orphans.length + scan.damaged.length,
      tempFilesRemoved: scan.temps.length,
      tailRepaired: (scan.chain.at(-1) ?? null) !== scan.recordedTail,
      readOnly: true,
    }
    return new RecordKeeper(fs, paths, NO_LOCK, maxEventBytes, limits, scan.chain, index, scan.last, new Set(), recovery, true)
  }

  /** Recovery's repairs, each idempotent (a crash during them is recovered the same way). */
  private static async repair(fs: FileSystem, paths: RkPaths, scan: ChainScan): Promise<RecoveryReport> {
    // A writer killed (not powered off) may leave its last linking rename without its directory
    // fsync: make every link from the recorded tail on durable before building on it.
    await fs.syncDir(paths.rk)
    const from = typeof scan.recordedTail === 'string' ? scan.chain.indexOf(scan.recordedTail) : -1
    const linkDirs = new Set(scan.chainDirs.slice(Math.max(from, 0)))
    await mapLimit([...linkDirs], READ_CONCURRENCY, (d) => fs.syncDir(d))

    const garbage = [...scan.orphans, ...scan.damaged, ...scan.temps]
    await mapLimit(garbage, READ_CONCURRENCY, (path) => unlinkIfPresent(fs, path))
    await mapLimit([...new Set(garbage.map((p) => dirname(p)))], READ_CONCURRENCY, (d) => fs.syncDir(d))

    const trueTail = scan.chain.at(-1) ?? null
    let tailRepaired = false
    if (trueTail === null && scan.recordedTail !== null) {
      await unlinkIfPresent(fs, paths.tail)
      await fs.syncDir(paths.rk)
      tailRepaired = true
    } else if (trueTail !== null && scan.recordedTail !== trueTail) {
      await writeFileAtomic(fs, paths.tail, encodePointer(trueTail))
      tailRepaired = true
    }
    return {
      events: scan.chain.length,
      orphansRemoved: scan.orphans.length + scan.damaged.length,
      tempFilesRemoved: scan.temps.length,
      tailRepaired,
      readOnly: false,
    }
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
    checkOptionKeys(options, VERIFY_OPTION_KEYS, 'RecordKeeper.verify', invalid)
    const fs = new ReadOnlyFileSystem(options.fs ?? new NodeFileSystem())
    const paths = rkPaths(resolve(dir))
    const state = await storePathState(fs, paths.rk, 'directory', RK_ROLE)
    if (state !== 'present') throw new StoreNotFoundError(paths.rk, RK_ROLE, state === 'missing' ? 'nothing is there' : 'it is empty')
    return toReport((await fs.exists(paths.events)) ? await scanChain(fs, paths) : emptyScan())
  }

  /**
   * Appends `event` (a JSON object with a canonical lower-case UUID `id`) to the history. Resolves
   * once it is durable and linked: it then survives any crash. Concurrent adds are ordered by call
   * and written in groups. `EXISTS` when the id is in the history or being added;
   * `INVALID_ARGUMENT` for a bad event (nothing written).
   */
  async add(event: RecordKeeperEvent): Promise<void> {
    this.assertWritable()
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new RecordKeeperError('INVALID_ARGUMENT', 'an event must be a JSON object with an id')
    }
    let id: unknown
    try {
      id = event.id
    } catch (err) {
      // A getter or a Proxy that throws: the caller's event cannot be read, which is bad input.
      throw new RecordKeeperError('INVALID_ARGUMENT', 'event.id could not be read', { cause: err })
    }
    assertUuid(id, 'event.id', RecordKeeperError)
    let eventJson: string
    try {
      eventJson = jsonCodec.stringify(event)
    } catch (err) {
      throw new RecordKeeperError('INVALID_ARGUMENT', `event ${id} is not storable as JSON`, { cause: err })
    }
    const bytes = eventFileBytes(utf8.encode(eventJson).byteLength, true)
    if (bytes > this.maxEventBytes) {
      throw new RecordKeeperError('INVALID_ARGUMENT', `event ${id} needs ${bytes} bytes; maxEventBytes is ${this.maxEventBytes}`)
    }
    if (this.index.has(id) || this.pending.has(id)) {
      throw new RecordKeeperError('EXISTS', `event ${id} already exists`)
    }
    this.budget.admit(bytes)
    this.pending.add(id)
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ id, eventJson, bytes, resolve, reject })
      this.scheduleFlush()
    })
  }

  /** The event with this id, exactly as added. `NOT_FOUND` if it is not in the history. */
  async read(id: string): Promise<RecordKeeperEvent> {
    assertUuid(id, 'id', RecordKeeperError)
    this.assertOpen()
    if (!this.index.has(id)) throw new RecordKeeperError('NOT_FOUND', `event ${id} does not exist`)
    return this.readLinked(id)
  }

  /** True when the event is in the history (its add was acknowledged). No I/O. */
  async exists(id: string): Promise<boolean> {
    assertUuid(id, 'id', RecordKeeperError)
    this.assertOpen()
    return Promise.resolve(this.index.has(id))
  }

  /**
   * The id after `id` in the history, or the first id when `id` is omitted; null after the last
   * event (or for an empty history). `NOT_FOUND` for an id not in the history.
   */
  async next(id?: string): Promise<string | null> {
    if (id !== undefined) assertUuid(id, 'id', RecordKeeperError)
    this.assertOpen()
    if (id === undefined) return Promise.resolve(this.order[0] ?? null)
    const at = this.index.get(id)
    if (at === undefined) throw new RecordKeeperError('NOT_FOUND', `event ${id} does not exist`)
    return Promise.resolve(this.order[at + 1] ?? null)
  }

  /** The last event's id, or null when the history is empty. */
  async tail(): Promise<string | null> {
    this.assertOpen()
    return Promise.resolve(this.order.at(-1) ?? null)
  }

  /**
   * Walks the history in order, from the first event (or from the one after `after`), reading
   * ahead. Events acknowledged while the walk runs are included. `NOT_FOUND` for an unknown `after`.
   */
  async *events(options: { readonly after?: string } = {}): AsyncGenerator<RecordKeeperEvent, void, undefined> {
    checkOptionKeys(options, EVENTS_OPTION_KEYS, 'RecordKeeper.events', invalid)
    const { after } = options
    if (after !== undefined) assertUuid(after, 'after', RecordKeeperError)
    this.assertOpen()
    let position = 0
    if (after !== undefined) {
      const at = this.index.get(after)
      if (at === undefined) throw new RecordKeeperError('NOT_FOUND', `event ${after} does not exist`)
      position = at + 1
    }
    const ahead: Promise<RecordKeeperEvent>[] = []
    for (;;) {
      while (ahead.length < READ_CONCURRENCY && position + ahead.length < this.order.length) {
        const read = this.readLinked(this.order[position + ahead.length]!)
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
    this.assertOpen()
    return this.writer.run(async () => {
      await this.tailWriter.settle()
      return toReport(await scanChain(this.fs, this.paths))
    })
  }

  /** Lets queued adds finish, then releases the lock. Idempotent. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      await this.drained()
      await this.tailWriter.settle()
      await this.lock.release()
    })()
    return this.closing
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new RecordKeeperError('CLOSED', 'the record keeper is closed')
  }

  private assertWritable(): void {
    this.assertOpen()
    if (this.readOnly) throw new RecordKeeperError('READ_ONLY', `${this.paths.rk} was opened with readOnly: true; nothing was written`)
    if (this.poisoned) {
      throw new RecordKeeperError('POISONED', `an earlier write failed${errnoOf(this.poisonCause)}; reopen the record keeper`, {
        cause: this.poisonCause,
      })
    }
  }

  private poison(err: unknown): void {
    if (this.poisoned) return
    this.poisoned = true
    this.poisonCause = err
  }

  private async readLinked(id: string): Promise<RecordKeeperEvent> {
    const path = safeJoin(leafDir(this.paths.events, id), id)
    let bytes: Uint8Array
    try {
      bytes = await readSmallFile(this.reads, path)
    } catch (err) {
      if (isFsError(err, 'ENOENT')) {
        throw new RecordKeeperError('CORRUPT', `event ${id} is in the history but ${path} is missing`, { cause: err })
      }
      throw err
    }
    const record = decodeEventFile(bytes)
    if (record?.id !== id) throw new RecordKeeperError('CORRUPT', `event file ${path} is damaged`)
    try {
      return jsonCodec.parse(record.eventJson) as RecordKeeperEvent
    } catch (err) {
      throw new RecordKeeperError('CORRUPT', `event file ${path} does not hold JSON`, { cause: err })
    }
  }

  private scheduleFlush(): void {
    if (this.flushing) return
    this.flushing = true
    // Wait one turn of the event loop so that adds issued together form one group.
    setImmediate(() => void this.flush())
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, MAX_GROUP_EVENTS)
      if (this.poisoned) {
        this.rejectGroup(group, undefined)
        continue
      }
      try {
        await this.writer.run(() => this.commitGroup(group))
      } catch (err) {
        this.poison(err)
        this.rejectGroup(group, err)
        continue
      }
      for (const add of group) {
        this.pending.delete(add.id)
        this.budget.release(add.bytes)
        add.resolve()
      }
    }
    this.flushing = false
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const wake of waiters) wake()
  }

  private rejectGroup(group: readonly QueuedAdd[], cause: unknown): void {
    const error = new RecordKeeperError('POISONED', `the write failed${errnoOf(cause ?? this.poisonCause)}; reopen the record keeper`, {
      cause: cause ?? this.poisonCause,
    })
    for (const add of group) {
      this.pending.delete(add.id)
      this.budget.release(add.bytes)
      add.reject(error)
    }
  }

  private drained(): Promise<void> {
    if (!this.flushing) return Promise.resolve()
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  /** Writes, syncs and links one group (steps 1 and 2 of FORMAT.md), then updates memory. */
  private async commitGroup(group: readonly QueuedAdd[]): Promise<void> {
    const records: EventRecord[] = group.map((add, i) => ({
      id: add.id,
      next: group[i + 1]?.id ?? null,
      eventJson: add.eventJson,
    }))
    const first = records[0]!.id
    // The link: the old tail's file with `next` set (or `rk/head`), first written to a temp file.
    const linkTarget = this.last === null ? this.paths.head : this.eventPath(this.last.id)
    const linkBytes = this.last === null ? encodePointer(first) : encodeEventFile({ ...this.last, next: first })
    const linkTemp = `${linkTarget}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`

    // Step 1: the group's files, their names (and new directories), and the link's temp file, all
    // durable, in one round of concurrent syncs. Nothing points at any of them yet.
    const newDirs = await this.createDirs(records.map((r) => r.id))
    const writes: { path: string; bytes: Uint8Array; flags: OpenFlags }[] = records.map((r) => ({
      path: this.eventPath(r.id),
      bytes: encodeEventFile(r),
      flags: 'w',
    }))
    writes.push({ path: linkTemp, bytes: linkBytes, flags: 'wx' })
    const handles: FileHandle[] = []
    try {
      // allSettled, not all: every open must have finished before the finally closes the handles.
      await allOrFirstError(
        writes.map(async (w) => {
          const handle = await this.fs.open(w.path, w.flags)
          handles.push(handle)
          await handle.write(w.bytes, 0)
        }),
      )
      const dirs = new Set(records.map((r) => leafDir(this.paths.events, r.id)))
      for (const d of newDirs) dirs.add(dirname(d))
      await allOrFirstError([...handles.map((h) => h.sync()), ...[...dirs].map((d) => this.fs.syncDir(d))])
    } finally {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)))
    }
    for (const d of newDirs) this.durableDirs.add(d)

    // Step 2: the link, by atomic rename over the old tail's file (or head), made durable.
    try {
      await this.fs.rename(linkTemp, linkTarget)
    } catch (err) {
      await this.fs.unlink(linkTemp).catch(() => undefined)
      throw err
    }
    await this.fs.syncDir(dirname(linkTarget))

    // Durable and linked: now memory may show it.
    for (const record of records) {
      this.index.set(record.id, this.order.length)
      this.order.push(record.id)
    }
    this.last = records.at(-1)!
    // Step 3, in the background: the tail hint.
    this.tailWriter.request(this.last.id)
  }

  /**
   * Creates the prefix directories the group needs that are not known durable (top level first),
   * without syncing: the caller syncs their parents in step 1's round. Returns the ones it made.
   */
  private async createDirs(ids: readonly string[]): Promise<string[]> {
    const created: string[] = []
    for (let level = 0; level < 3; level++) {
      const missing = new Set<string>()
      for (const id of ids) {
        const d = prefixDirs(this.paths.events, id)[level]!
        if (!this.durableDirs.has(d)) missing.add(d)
      }
      await Promise.all(
        [...missing].map(async (d) => {
          try {
            await this.fs.mkdir(d)
          } catch (err) {
            // It may exist without being durable (left by a killed writer): its parent is synced anyway.
            if (!isFsError(err, 'EEXIST')) throw err
          }
        }),
      )
      created.push(...missing)
    }
    return created
  }

  private eventPath(id: string): string {
    return safeJoin(leafDir(this.paths.events, id), id)
  }
}

/** What the record keeper's directory is called in errors. */
const RK_ROLE = 'record keeper (<dir>/rk)'

/** The lock of a read-only record keeper: there is none to release. */
const NO_LOCK: DirLock = { path: '', release: async () => undefined }

const invalid = (message: string): RecordKeeperError => new RecordKeeperError('INVALID_ARGUMENT', message)

/** The scan of a store without an event tree (nothing was ever added). */
function emptyScan(): ChainScan {
  return {
    chain: [],
    last: null,
    head: null,
    recordedTail: null,
    brokenLinks: [],
    orphans: [],
    damaged: [],
    temps: [],
    strays: [],
    newer: [],
    leafDirs: [],
    chainDirs: [],
  }
}
