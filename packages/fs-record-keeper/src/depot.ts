import { integerOption, openStore, optionKeys, Poison, QueueBudget, queueLimitOptions, StoreState, type QueueLimits } from '@quire/durable'
import {
  NO_LOCK,
  enforceOpenMode,
  isFsError,
  isTempFile,
  KeyedMutex,
  limitOpenFiles,
  NodeFileSystem,
  ReadOnlyFileSystem,
  resolveOpenMode,
  safeJoin,
  storePathState,
  type DirLock,
  type FileSystem,
  type OpenModeOptions,
} from '@quire/vfs'
import { dirname, join, resolve } from 'node:path'
import { DEPOT_ROLE, isDepotEntry, verifyDepot, verifyTree, type DepotReport } from './depot-verify.js'
import { DepotError, errnoOf, overloadedError } from './errors.js'
import { checkFormatMarker, DEPOT_MAGIC } from './format-marker.js'
import { assertUuid, leafDir, prefixDirs } from './ids.js'
import { DEFAULT_MAX_OBJECT_BYTES, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS, MAX_IO_BYTES } from './limits.js'
import { readChecked, readContentSize, writeChecksums } from './object-checksums.js'
import { ObjectState } from './object-state.js'
import { contentSizeOf, storedLength } from './object-trailer.js'

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
  integerOption(what, value, { min: 0, max }, undefined, invalid)
}

/** Every key `Depot.open` knows (checked against {@link DepotOptions} when compiled). */
const OPEN_OPTION_KEYS = optionKeys<DepotOptions>()(
  ['fs', 'maxObjectBytes', 'maxQueuedOperations', 'maxQueuedBytes', 'createIfMissing', 'errorIfExists', 'readOnly'] as const,
  'Depot.open',
  (message) => new DepotError('INVALID_ARGUMENT', message),
)

/**
 * A file-system object store laid out as gonk's `Depot`: objects in a depth-3 prefix tree
 * (`depot/a/b/c/<uuid>`), with a `.wr` extension while WRITABLE. Unlike gonk, a crash leaves an
 * object WRITABLE or NONEXISTENT, never READABLE with partial content; READABLE objects carry
 * block checksums that `read` verifies (see FORMAT.md).
 */
export class Depot implements AsyncDisposable {
  readonly #fs: FileSystem
  readonly #root: string
  readonly #maxObjectBytes: number
  readonly #perId = new KeyedMutex()
  /** Prefix directories known to be durable themselves (created, or found, and parent-synced). */
  readonly #durableDirs = new Set<string>()
  /** Leaf directories whose entries were synced in this session (what they show survives a crash). */
  readonly #syncedLeaves = new Set<string>()
  /** Close once, the closed / read-only / poisoned guards; a failed durable step poisons it. */
  readonly #state: StoreState
  readonly #budget: QueueBudget

  private constructor(fs: FileSystem, root: string, lock: DirLock, maxObjectBytes: number, limits: QueueLimits, readOnly = false) {
    this.#fs = fs
    this.#root = root
    this.#maxObjectBytes = maxObjectBytes
    this.#budget = new QueueBudget(limits, overloadedError(DepotError, `depot ${root}`))
    this.#state = new StoreState({
      poison: new Poison((cause) => new DepotError('POISONED', `an earlier write failed${errnoOf(cause)}; reopen the depot`, { cause })),
      readOnly,
      errors: {
        closed: () => new DepotError('CLOSED', 'the depot is closed'),
        readOnly: () => new DepotError('READ_ONLY', `${root} was opened with readOnly: true; nothing was written`),
      },
      // Running operations finish, then the lock goes.
      onClose: async () => {
        await this.#perId.idle()
        await lock.release()
      },
    })
  }

  /** Opens (creating if needed) the depot in `<dir>/depot` and takes its lock (`LOCKED` if held). */
  static async open(dir: string, options: DepotOptions = {}): Promise<Depot> {
    if (typeof dir !== 'string' || dir.length === 0) throw new DepotError('INVALID_ARGUMENT', 'dir must be a non-empty path')
    OPEN_OPTION_KEYS.check(options)
    const mode = resolveOpenMode(options, invalid)
    const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES
    assertInteger(maxObjectBytes, 'maxObjectBytes', Number.MAX_SAFE_INTEGER)
    const limits = queueLimitOptions(options, { maxQueuedOperations: DEFAULT_MAX_QUEUED_OPERATIONS, maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES }, invalid)
    const fs = options.fs ?? new NodeFileSystem()
    const root = join(resolve(dir), 'depot')
    enforceOpenMode(mode, await storePathState(fs, root, 'directory', DEPOT_ROLE, isDepotEntry), root, DEPOT_ROLE)
    if (mode.readOnly) {
      // No lock, no sweep of temp files, no FORMAT written: nothing changes.
      const ro = new ReadOnlyFileSystem(fs)
      await checkFormatMarker(ro, join(root, 'FORMAT'), DEPOT_MAGIC, DepotError, true)
      return new Depot(limitOpenFiles(ro), root, NO_LOCK, maxObjectBytes, limits, true)
    }
    return openStore({
      fs,
      dir: root,
      recover: async () => {
        await sweepTempFiles(fs, root)
        await checkFormatMarker(fs, join(root, 'FORMAT'), DEPOT_MAGIC, DepotError)
      },
      // Operations on different objects run at once: without a bound on open files, a deep queue
      // opens thousands at the same moment and EMFILE poisons the depot (each holds one at a time).
      construct: (_, lock) => new Depot(limitOpenFiles(fs), root, lock, maxObjectBytes, limits),
    })
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
    return verifyDepot(dir, options)
  }

  /** The object's state: `ObjectState.NONEXISTENT`, `READABLE` or `WRITABLE`. */
  async state(id: string): Promise<ObjectState> {
    assertUuid(id, 'id', DepotError)
    this.#assertOpen()
    return this.#queued(id, 0, async () => (await this.#probe(id)).state)
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
    assertInteger(size, 'size', this.#maxObjectBytes)
    this.#assertWritable()
    return this.#queued(id, 0, async () => {
      this.#assertWritable()
      const probe = await this.#probe(id)
      if (probe.state !== ObjectState.NONEXISTENT) throw new DepotError('EXISTS', `object ${id} already exists`)
      await this.#durably(async () => {
        await this.#makeDirsDurable(id)
        // 'w', not 'wx': a torn reservation left by a crash is replaced.
        const handle = await this.#fs.open(this.#writablePath(id), 'w')
        try {
          await handle.truncate(storedLength(size))
          await handle.sync()
        } finally {
          await handle.close()
        }
        await this.#fs.syncDir(leafDir(this.#root, id))
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
    this.#assertWritable()
    // A copy: what is written is what was passed, whatever the caller does with its array while
    // the write waits for the object (it counts against maxQueuedBytes meanwhile).
    const content = bytes.slice()
    return this.#queued(id, content.byteLength, async () => {
      this.#assertWritable()
      const probe = await this.#probeExisting(id)
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
      await this.#durably(async () => {
        const handle = await this.#fs.open(probe.path, 'r+')
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
    this.#assertWritable()
    return this.#queued(id, 0, async () => {
      this.#assertWritable()
      const probe = await this.#probeExisting(id)
      if (probe.state === ObjectState.READABLE) throw new DepotError('NOT_WRITABLE', `object ${id} is already finalized`)
      await this.#durably(async () => {
        const handle = await this.#fs.open(probe.path, 'r+')
        try {
          await writeChecksums(handle, probe.path, probe.size)
          await handle.sync()
        } finally {
          await handle.close()
        }
        await this.#fs.rename(probe.path, this.#readablePath(id))
        await this.#fs.syncDir(leafDir(this.#root, id))
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
    this.#assertOpen()
    return this.#queued(id, size, async () => {
      const probe = await this.#probeExisting(id)
      if (probe.state === ObjectState.WRITABLE) throw new DepotError('NOT_READABLE', `object ${id} is not finalized`)
      const handle = await this.#fs.open(probe.path, 'r')
      try {
        const contentSize = await readContentSize(handle, probe.path, probe.length)
        if (offset + size > contentSize) {
          throw new DepotError('OUT_OF_RANGE', `read of ${size} bytes at ${offset} is outside object ${id} of ${contentSize} bytes`)
        }
        if (size === 0) return new Uint8Array(0)
        return await readChecked(handle, probe.path, id, contentSize, offset, size)
      } finally {
        await handle.close()
      }
    })
  }

  /** Deletes the object (READABLE or WRITABLE), durably. `NOT_FOUND` if it does not exist. */
  async purge(id: string): Promise<void> {
    assertUuid(id, 'id', DepotError)
    this.#assertWritable()
    return this.#queued(id, 0, async () => {
      this.#assertWritable()
      const probe = await this.#probeExisting(id)
      await this.#durably(async () => {
        await this.#fs.unlink(probe.path)
        await this.#fs.syncDir(leafDir(this.#root, id))
      })
    })
  }

  /** Checks every object (waiting for running operations first). Changes nothing. */
  async verify(): Promise<DepotReport> {
    this.#assertOpen()
    await this.#perId.idle()
    return verifyTree(this.#fs, this.#root)
  }

  /** Waits for running operations, then releases the lock. Idempotent. */
  async close(): Promise<void> {
    return this.#state.close()
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Runs `fn` after the object's earlier operations, counted against the queue limits (`OVERLOADED`). */
  #queued<T>(id: string, bytes: number, fn: () => Promise<T>): Promise<T> {
    return this.#budget.run(bytes, () => this.#perId.run(id, fn))
  }

  #assertOpen(): void {
    this.#state.assertOpen()
  }

  /** `CLOSED`, then `READ_ONLY`, then `POISONED` (the first cause). */
  #assertWritable(): void {
    this.#state.assertWritable('Depot')
  }

  /** Runs a durable step; any failure poisons the depot (a failed sync may have dropped data). */
  async #durably(step: () => Promise<void>): Promise<void> {
    try {
      await step()
    } catch (err) {
      if (err instanceof DepotError) throw err
      this.#state.poison.poison(err)
      throw new DepotError('POISONED', `the write failed${errnoOf(err)}; reopen the depot`, { cause: err })
    }
  }

  /** `probe`, with `NOT_FOUND` when the object does not exist in any state. */
  async #probeExisting(id: string): Promise<Exclude<Probe, { state: typeof ObjectState.NONEXISTENT }>> {
    const probe = await this.#probe(id)
    if (probe.state === ObjectState.NONEXISTENT) throw new DepotError('NOT_FOUND', `object ${id} does not exist`)
    return probe
  }

  async #probe(id: string): Promise<Probe> {
    const leaf = leafDir(this.#root, id)
    // What this session shows must survive a crash: a process killed mid-operation may have left a
    // rename or unlink in the page cache without its directory fsync.
    if (!this.#syncedLeaves.has(leaf) && (await this.#fs.exists(leaf))) {
      await this.#fs.syncDir(leaf)
      this.#syncedLeaves.add(leaf)
    }
    const readable = this.#readablePath(id)
    const length = await statLength(this.#fs, readable)
    if (length !== undefined) return { state: ObjectState.READABLE, path: readable, length }
    const writable = this.#writablePath(id)
    const wrLength = await statLength(this.#fs, writable)
    if (wrLength === undefined) return { state: ObjectState.NONEXISTENT, tornPath: undefined }
    const size = contentSizeOf(wrLength)
    if (size === undefined) return { state: ObjectState.NONEXISTENT, tornPath: writable }
    return { state: ObjectState.WRITABLE, path: writable, size }
  }

  async #makeDirsDurable(id: string): Promise<void> {
    for (const d of prefixDirs(this.#root, id)) {
      if (this.#durableDirs.has(d)) continue
      try {
        await this.#fs.mkdir(d)
      } catch (err) {
        if (!isFsError(err, 'EEXIST')) throw err
      }
      await this.#fs.syncDir(dirname(d))
      this.#durableDirs.add(d)
    }
  }

  #readablePath(id: string): string {
    return safeJoin(leafDir(this.#root, id), id)
  }

  #writablePath(id: string): string {
    return safeJoin(leafDir(this.#root, id), `${id}.wr`)
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

const invalid = (message: string): DepotError => new DepotError('INVALID_ARGUMENT', message)
