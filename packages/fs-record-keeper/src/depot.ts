import { crc32 } from '@quire/codec'
import {
  acquireLock,
  checkOptionKeys,
  enforceOpenMode,
  ensureDir,
  isFsError,
  isTempFile,
  limitOpenFiles,
  LOCK_FILE_NAME,
  NodeFileSystem,
  ReadOnlyFileSystem,
  readFully,
  resolveOpenMode,
  safeJoin,
  storePathState,
  StoreNotFoundError,
  undoFailedOpen,
  type DirLock,
  type FileSystem,
  type OpenModeOptions,
} from '@quire/vfs'
import { dirname, join, resolve } from 'node:path'
import { DepotError, describeValue, errnoOf } from './errors.js'
import { checkFormatMarker, DEPOT_MAGIC } from './format-marker.js'
import { assertUuid, isUuid, leafDir, prefixDirs } from './ids.js'
import { DEFAULT_MAX_OBJECT_BYTES, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS, DEPOT_BLOCK_BYTES, MAX_IO_BYTES } from './limits.js'
import { KeyedMutex } from './mutex.js'
import { QueueBudget, queueLimits, type QueueLimits } from './queue-budget.js'
import { ObjectState } from './object-state.js'
import { DEPOT_OPTION_KEYS, VERIFY_OPTION_KEYS } from './option-keys.js'
import { blockCount, contentSizeOf, decodeFooter, encodeTrailer, FOOTER_BYTES, storedLength } from './object-trailer.js'
import { scanTree } from './tree-scan.js'

/**
 * Options of `Depot.open`. Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`), for the depot in `<dir>/depot`: `createIfMissing` (default
 * `true`; `false`: `NOT_FOUND` when `<dir>/depot` is missing or empty), `errorIfExists` (default
 * `false`: `EXISTS` when it holds anything), `readOnly` (default `false`: with `true`, no lock is
 * taken and nothing is written, not even the removal of temp files; `state`, `exists`, `read`
 * and `verify` work, `reserve`, `write`, `finalize` and `purge` reject with `READ_ONLY`; works on
 * a read-only copy and next to a live writer).
 */
export interface DepotOptions extends OpenModeOptions {
  /** The file system to write through (default: the real one, `new NodeFileSystem()`). */
  readonly fs?: FileSystem
  /** Largest object in content bytes (default 1 GiB). */
  readonly maxObjectBytes?: number
  /**
   * Most operations (of any kind) accepted and not yet settled (default 65 536,
   * `DEFAULT_MAX_QUEUED_OPERATIONS`). One more rejects at once with `OVERLOADED`: memory stays
   * bounded when callers outrun the disk.
   */
  readonly maxQueuedOperations?: number
  /**
   * Most bytes those operations hold (the content of writes, the size of reads; default 64 MiB,
   * `DEFAULT_MAX_QUEUED_BYTES`). One that would pass it rejects at once with `OVERLOADED`, unless
   * nothing else waits.
   */
  readonly maxQueuedBytes?: number
}

/** What `Depot.verify` found; `ok` when there is nothing to report. */
export interface DepotReport {
  readonly ok: boolean
  readonly readable: number
  readonly writable: number
  /** READABLE objects whose trailer or content fails its checksums (paths). */
  readonly damaged: readonly string[]
  /**
   * `.wr` files whose length fits no object size: reservations a crash cut short (paths). They are
   * harmless (the id is NONEXISTENT and the next `reserve` replaces the file), so they do not make
   * `ok` false.
   */
  readonly tornReservations: readonly string[]
  /** Files that have no place in the layout, and `.wr` files next to a READABLE object (paths). */
  readonly strays: readonly string[]
}

type Probe =
  | { readonly state: typeof ObjectState.READABLE; readonly path: string; readonly length: number }
  | { readonly state: typeof ObjectState.WRITABLE; readonly path: string; readonly size: number }
  | { readonly state: typeof ObjectState.NONEXISTENT; readonly tornPath: string | undefined }

async function statLength(fs: FileSystem, path: string): Promise<number | undefined> {
  try {
    return (await fs.stat(path)).size
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return undefined
    throw err
  }
}

function assertInteger(value: unknown, what: string, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new DepotError('INVALID_ARGUMENT', `${what} must be an integer in [0, ${max}], got ${describeValue(value)}`)
  }
}

/**
 * A file-system object store laid out as gonk's `Depot`: objects in a depth-3 prefix tree
 * (`depot/a/b/c/<uuid>`), with a `.wr` extension while WRITABLE. Unlike gonk, a crash leaves an
 * object WRITABLE or NONEXISTENT, never READABLE with partial content; READABLE objects carry
 * block checksums that `read` verifies (see FORMAT.md).
 */
export class Depot implements AsyncDisposable {
  private readonly perId = new KeyedMutex()
  /** Prefix directories known to be durable themselves (created, or found, and parent-synced). */
  private readonly durableDirs = new Set<string>()
  /** Leaf directories whose entries were synced in this session (what they show survives a crash). */
  private readonly syncedLeaves = new Set<string>()
  private closing: Promise<void> | undefined
  private poisoned = false
  private poisonCause: unknown = undefined
  private readonly budget: QueueBudget

  private constructor(
    private readonly fs: FileSystem,
    private readonly root: string,
    private readonly lock: DirLock,
    private readonly maxObjectBytes: number,
    limits: QueueLimits,
    private readonly readOnly = false,
  ) {
    this.budget = new QueueBudget(limits, DepotError, `depot ${root}`)
  }

  /** Opens (creating if needed) the depot in `<dir>/depot` and takes its lock (`LOCKED` if held). */
  static async open(dir: string, options: DepotOptions = {}): Promise<Depot> {
    if (typeof dir !== 'string' || dir.length === 0) throw new DepotError('INVALID_ARGUMENT', 'dir must be a non-empty path')
    checkOptionKeys(options, DEPOT_OPTION_KEYS, 'Depot.open', invalid)
    const mode = resolveOpenMode(options, invalid)
    const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES
    assertInteger(maxObjectBytes, 'maxObjectBytes', Number.MAX_SAFE_INTEGER)
    const limits = queueLimits(
      options,
      { maxQueuedOperations: DEFAULT_MAX_QUEUED_OPERATIONS, maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES },
      DepotError,
    )
    const fs = options.fs ?? new NodeFileSystem()
    const root = join(resolve(dir), 'depot')
    enforceOpenMode(mode, await storePathState(fs, root, 'directory', DEPOT_ROLE), root, DEPOT_ROLE)
    if (mode.readOnly) {
      // No lock, no sweep of temp files, no FORMAT written: nothing changes.
      const ro = new ReadOnlyFileSystem(fs)
      await checkFormatMarker(ro, join(root, 'FORMAT'), DEPOT_MAGIC, DepotError, true)
      return new Depot(limitOpenFiles(ro), root, NO_LOCK, maxObjectBytes, limits, true)
    }
    const created = await ensureDir(fs, root, { syncExisting: true })
    let lock: DirLock | undefined
    try {
      lock = await acquireLock(fs, root)
      await sweepTempFiles(fs, root)
      await checkFormatMarker(fs, join(root, 'FORMAT'), DEPOT_MAGIC, DepotError)
      // Operations on different objects run at once: without a bound on open files, a deep queue
      // opens thousands at the same moment and EMFILE poisons the depot (each holds one at a time).
      return new Depot(limitOpenFiles(fs), root, lock, maxObjectBytes, limits)
    } catch (err) {
      // A failed open leaves the disk as it found it: what it created goes again.
      await undoFailedOpen(fs, created, lock)
      throw err
    }
  }

  /**
   * Checks every object of the depot in `<dir>/depot` without opening it and without changing
   * anything. It takes no lock, so it runs next to a live writer (an object being written may then
   * show as a torn reservation: the report is of one moment) and on a read-only copy.
   *
   * @throws `StoreNotFoundError` (`NOT_FOUND`) when there is no depot in `<dir>` (never an `ok`
   *   report about a store that is not there), `PathKindError` when the path is the wrong kind of
   *   thing, `INVALID_ARGUMENT` for an unknown option key.
   */
  static async verify(dir: string, options: { readonly fs?: FileSystem } = {}): Promise<DepotReport> {
    checkOptionKeys(options, VERIFY_OPTION_KEYS, 'Depot.verify', invalid)
    const fs = new ReadOnlyFileSystem(options.fs ?? new NodeFileSystem())
    const root = join(resolve(dir), 'depot')
    const state = await storePathState(fs, root, 'directory', DEPOT_ROLE)
    if (state !== 'present') throw new StoreNotFoundError(root, DEPOT_ROLE, state === 'missing' ? 'nothing is there' : 'it is empty')
    return verifyTree(fs, root)
  }

  /** The object's state: `ObjectState.NONEXISTENT`, `READABLE` or `WRITABLE`. */
  async state(id: string): Promise<ObjectState> {
    assertUuid(id, 'id', DepotError)
    this.assertOpen()
    return this.queued(id, 0, async () => (await this.probe(id)).state)
  }

  /** True unless the object is NONEXISTENT. */
  async exists(id: string): Promise<boolean> {
    return (await this.state(id)) !== ObjectState.NONEXISTENT
  }

  /**
   * Reserves `id` for `size` bytes: creates `<uuid>.wr`, durably. `EXISTS` when the id is WRITABLE
   * or READABLE.
   */
  async reserve(id: string, size: number): Promise<void> {
    assertUuid(id, 'id', DepotError)
    assertInteger(size, 'size', this.maxObjectBytes)
    this.assertWritable()
    return this.queued(id, 0, async () => {
      this.assertWritable()
      const probe = await this.probe(id)
      if (probe.state !== ObjectState.NONEXISTENT) throw new DepotError('EXISTS', `object ${id} already exists`)
      await this.durably(async () => {
        await this.makeDirsDurable(id)
        // 'w', not 'wx': a torn reservation left by a crash is replaced.
        const handle = await this.fs.open(this.writablePath(id), 'w')
        try {
          await handle.truncate(storedLength(size))
          await handle.sync()
        } finally {
          await handle.close()
        }
        await this.fs.syncDir(leafDir(this.root, id))
      })
    })
  }

  /**
   * Writes `bytes` at `offset` of a WRITABLE object, inside `[0, size)` (`OUT_OF_RANGE` otherwise).
   * Not durable by itself: `finalize` makes every write durable.
   */
  async write(id: string, offset: number, bytes: Uint8Array): Promise<void> {
    assertUuid(id, 'id', DepotError)
    assertInteger(offset, 'offset', Number.MAX_SAFE_INTEGER)
    if (!(bytes instanceof Uint8Array) || bytes.byteLength > MAX_IO_BYTES) {
      throw new DepotError('INVALID_ARGUMENT', `bytes must be a Uint8Array of at most ${MAX_IO_BYTES} bytes`)
    }
    this.assertWritable()
    // A copy: what is written is what was passed, whatever the caller does with its array while
    // the write waits for the object (it counts against maxQueuedBytes meanwhile).
    const content = bytes.slice()
    return this.queued(id, content.byteLength, async () => {
      this.assertWritable()
      const probe = await this.probeExisting(id)
      if (probe.state === ObjectState.READABLE) throw new DepotError('NOT_WRITABLE', `object ${id} is finalized`)
      if (offset + content.byteLength > probe.size) {
        throw new DepotError(
          'OUT_OF_RANGE',
          `write of ${content.byteLength} bytes at ${offset} is outside object ${id} of ${probe.size} bytes`,
        )
      }
      if (content.byteLength === 0) return
      // A failed write may have left part of the bytes: POISONED (typed), as errors.ts promises,
      // so that nothing finalizes content this session cannot vouch for.
      await this.durably(async () => {
        const handle = await this.fs.open(probe.path, 'r+')
        try {
          await handle.write(content, offset)
        } finally {
          await handle.close()
        }
      })
    })
  }

  /**
   * Makes a WRITABLE object READABLE, durably: syncs its content with a checksum trailer, renames
   * `<uuid>.wr` to `<uuid>`, syncs the directory. `NOT_WRITABLE` if already READABLE.
   */
  async finalize(id: string): Promise<void> {
    assertUuid(id, 'id', DepotError)
    this.assertWritable()
    return this.queued(id, 0, async () => {
      this.assertWritable()
      const probe = await this.probeExisting(id)
      if (probe.state === ObjectState.READABLE) throw new DepotError('NOT_WRITABLE', `object ${id} is already finalized`)
      await this.durably(async () => {
        const handle = await this.fs.open(probe.path, 'r+')
        try {
          const crcs: number[] = []
          for (let block = 0; block < blockCount(probe.size); block++) {
            const start = block * DEPOT_BLOCK_BYTES
            const length = Math.min(DEPOT_BLOCK_BYTES, probe.size - start)
            const data = await readFully(handle, start, length)
            if (data.byteLength !== length) throw new DepotError('CORRUPT', `${probe.path} is shorter than its reservation`)
            crcs.push(crc32(data))
            // Written back so that the sync below covers it: after a failed sync (maybe in an
            // earlier session) the content may be in the page cache only, and a sync would not
            // make clean pages durable. The checksum must describe what the disk holds.
            await handle.write(data, start)
          }
          await handle.write(encodeTrailer(probe.size, crcs), probe.size)
          await handle.sync()
        } finally {
          await handle.close()
        }
        await this.fs.rename(probe.path, this.readablePath(id))
        await this.fs.syncDir(leafDir(this.root, id))
      })
    })
  }

  /**
   * Reads `size` bytes at `offset` of a READABLE object (`NOT_READABLE` while WRITABLE,
   * `OUT_OF_RANGE` past its end). Every block read is checked: damage is `CORRUPT`, never bytes.
   */
  async read(id: string, offset: number, size: number): Promise<Uint8Array> {
    assertUuid(id, 'id', DepotError)
    assertInteger(offset, 'offset', Number.MAX_SAFE_INTEGER)
    assertInteger(size, 'size', MAX_IO_BYTES)
    this.assertOpen()
    return this.queued(id, size, async () => {
      const probe = await this.probeExisting(id)
      if (probe.state === ObjectState.WRITABLE) throw new DepotError('NOT_READABLE', `object ${id} is not finalized`)
      const handle = await this.fs.open(probe.path, 'r')
      try {
        const contentSize = await readContentSize(handle, probe.path, probe.length)
        if (offset + size > contentSize) {
          throw new DepotError('OUT_OF_RANGE', `read of ${size} bytes at ${offset} is outside object ${id} of ${contentSize} bytes`)
        }
        if (size === 0) return new Uint8Array(0)
        const first = Math.floor(offset / DEPOT_BLOCK_BYTES)
        const last = Math.floor((offset + size - 1) / DEPOT_BLOCK_BYTES)
        const table = await readFully(handle, contentSize + 4 * first, 4 * (last - first + 1))
        const spanStart = first * DEPOT_BLOCK_BYTES
        const spanEnd = Math.min(contentSize, (last + 1) * DEPOT_BLOCK_BYTES)
        const span = await readFully(handle, spanStart, spanEnd - spanStart)
        if (table.byteLength !== 4 * (last - first + 1) || span.byteLength !== spanEnd - spanStart) {
          throw new DepotError('CORRUPT', `${probe.path} is shorter than its trailer says`)
        }
        const tableView = new DataView(table.buffer, table.byteOffset, table.byteLength)
        for (let block = first; block <= last; block++) {
          const from = (block - first) * DEPOT_BLOCK_BYTES
          const data = span.subarray(from, Math.min(span.byteLength, from + DEPOT_BLOCK_BYTES))
          if (crc32(data) !== tableView.getUint32(4 * (block - first), true)) {
            throw new DepotError('CORRUPT', `object ${id}: block ${block} fails its checksum`)
          }
        }
        return span.slice(offset - spanStart, offset - spanStart + size)
      } finally {
        await handle.close()
      }
    })
  }

  /** Deletes the object (READABLE or WRITABLE), durably. `NOT_FOUND` if it does not exist. */
  async purge(id: string): Promise<void> {
    assertUuid(id, 'id', DepotError)
    this.assertWritable()
    return this.queued(id, 0, async () => {
      this.assertWritable()
      const probe = await this.probeExisting(id)
      await this.durably(async () => {
        await this.fs.unlink(probe.path)
        await this.fs.syncDir(leafDir(this.root, id))
      })
    })
  }

  /** Checks every object (waiting for running operations first). Changes nothing. */
  async verify(): Promise<DepotReport> {
    this.assertOpen()
    await this.perId.idle()
    return verifyTree(this.fs, this.root)
  }

  /** Waits for running operations, then releases the lock. Idempotent. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      await this.perId.idle()
      await this.lock.release()
    })()
    return this.closing
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Runs `fn` after the object's earlier operations, counted against the queue limits (`OVERLOADED`). */
  private queued<T>(id: string, bytes: number, fn: () => Promise<T>): Promise<T> {
    return this.budget.run(bytes, () => this.perId.run(id, fn))
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new DepotError('CLOSED', 'the depot is closed')
  }

  private assertWritable(): void {
    this.assertOpen()
    if (this.readOnly) throw new DepotError('READ_ONLY', `${this.root} was opened with readOnly: true; nothing was written`)
    if (this.poisoned) {
      throw new DepotError('POISONED', `an earlier write failed${errnoOf(this.poisonCause)}; reopen the depot`, { cause: this.poisonCause })
    }
  }

  /** Runs a durable step; any failure poisons the depot (a failed sync may have dropped data). */
  private async durably(step: () => Promise<void>): Promise<void> {
    try {
      await step()
    } catch (err) {
      if (err instanceof DepotError) throw err
      this.poisoned = true
      this.poisonCause = err
      throw new DepotError('POISONED', `the write failed${errnoOf(err)}; reopen the depot`, { cause: err })
    }
  }

  /** `probe`, with `NOT_FOUND` when the object does not exist in any state. */
  private async probeExisting(id: string): Promise<Exclude<Probe, { state: typeof ObjectState.NONEXISTENT }>> {
    const probe = await this.probe(id)
    if (probe.state === ObjectState.NONEXISTENT) throw new DepotError('NOT_FOUND', `object ${id} does not exist`)
    return probe
  }

  private async probe(id: string): Promise<Probe> {
    const leaf = leafDir(this.root, id)
    // What this session shows must survive a crash: a process killed mid-operation may have left a
    // rename or unlink in the page cache without its directory fsync.
    if (!this.syncedLeaves.has(leaf) && (await this.fs.exists(leaf))) {
      await this.fs.syncDir(leaf)
      this.syncedLeaves.add(leaf)
    }
    const readable = this.readablePath(id)
    const length = await statLength(this.fs, readable)
    if (length !== undefined) return { state: ObjectState.READABLE, path: readable, length }
    const writable = this.writablePath(id)
    const wrLength = await statLength(this.fs, writable)
    if (wrLength === undefined) return { state: ObjectState.NONEXISTENT, tornPath: undefined }
    const size = contentSizeOf(wrLength)
    if (size === undefined) return { state: ObjectState.NONEXISTENT, tornPath: writable }
    return { state: ObjectState.WRITABLE, path: writable, size }
  }

  private async makeDirsDurable(id: string): Promise<void> {
    for (const d of prefixDirs(this.root, id)) {
      if (this.durableDirs.has(d)) continue
      try {
        await this.fs.mkdir(d)
      } catch (err) {
        if (!isFsError(err, 'EEXIST')) throw err
      }
      await this.fs.syncDir(dirname(d))
      this.durableDirs.add(d)
    }
  }

  private readablePath(id: string): string {
    return safeJoin(leafDir(this.root, id), id)
  }

  private writablePath(id: string): string {
    return safeJoin(leafDir(this.root, id), `${id}.wr`)
  }
}

/**
 * Removes temp files of an interrupted atomic replace in the depot's top directory (the `FORMAT`
 * file of a new depot is the only file written that way): never renamed into place, so never state.
 */
async function sweepTempFiles(fs: FileSystem, root: string): Promise<void> {
  const temps = (await fs.readdir(root)).filter((name) => isTempFile(name))
  for (const name of temps) await fs.unlink(join(root, name))
  if (temps.length > 0) await fs.syncDir(root)
}

async function readContentSize(
  handle: { read(buffer: Uint8Array, position: number): Promise<number> },
  path: string,
  length: number,
): Promise<number> {
  if (length < FOOTER_BYTES) throw new DepotError('CORRUPT', `${path} is too short for a trailer`)
  const footer = new Uint8Array(FOOTER_BYTES)
  const n = await handle.read(footer, length - FOOTER_BYTES)
  const size = n === FOOTER_BYTES ? decodeFooter(footer) : undefined
  if (size === undefined || storedLength(size) !== length) {
    throw new DepotError('CORRUPT', `${path} has a damaged trailer`)
  }
  return size
}

/** Checks a READABLE object's trailer and every block, one block in memory at a time. */
async function verifyObject(fs: FileSystem, path: string): Promise<boolean> {
  const handle = await fs.open(path, 'r')
  try {
    let size: number
    try {
      size = await readContentSize(handle, path, await handle.size())
    } catch (err) {
      if (err instanceof DepotError) return false
      throw err
    }
    const blocks = blockCount(size)
    const table = await readFully(handle, size, 4 * blocks)
    if (table.byteLength !== 4 * blocks) return false
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength)
    for (let block = 0; block < blocks; block++) {
      const start = block * DEPOT_BLOCK_BYTES
      const length = Math.min(DEPOT_BLOCK_BYTES, size - start)
      const data = await readFully(handle, start, length)
      if (data.byteLength !== length || crc32(data) !== view.getUint32(4 * block, true)) return false
    }
    return true
  } finally {
    await handle.close()
  }
}

async function verifyTree(fs: FileSystem, root: string): Promise<DepotReport> {
  const tree = await scanTree(
    fs,
    root,
    (name) => name === 'FORMAT' || name === LOCK_FILE_NAME || name.startsWith(`${LOCK_FILE_NAME}.`) || isTempFile(name),
  )
  const names = new Set(tree.files.map((f) => join(f.dir, f.name)))
  const damaged: string[] = []
  const tornReservations: string[] = []
  const strays = [...tree.strays]
  let readable = 0
  let writable = 0
  for (const f of tree.files) {
    const path = join(f.dir, f.name)
    const id = f.name.endsWith('.wr') ? f.name.slice(0, -3) : f.name
    if (!isUuid(id) || !id.startsWith(f.prefix)) {
      strays.push(path)
    } else if (f.name.endsWith('.wr')) {
      if (names.has(join(f.dir, id))) strays.push(path)
      else if (contentSizeOf((await fs.stat(path)).size) === undefined) tornReservations.push(path)
      else writable++
    } else if (await verifyObject(fs, path)) {
      readable++
    } else {
      damaged.push(path)
    }
  }
  return {
    ok: damaged.length === 0 && strays.length === 0,
    readable,
    writable,
    damaged,
    tornReservations,
    strays,
  }
}

/** What the depot's directory is called in errors. */
const DEPOT_ROLE = 'depot (<dir>/depot)'

/** The lock of a read-only depot: there is none to release. */
const NO_LOCK: DirLock = { path: '', release: async () => undefined }

const invalid = (message: string): DepotError => new DepotError('INVALID_ARGUMENT', message)
