import { resolve } from 'node:path'
import { NodeFileSystem, acquireLock, ensureDir, isFsError, limitOpenFiles, quarantineFile, safeJoin, undoFailedOpen } from '@quire/vfs'
import { ReadOnlyError, ReadOnlyFileSystem, checkOptionKeys, enforceOpenMode, resolveOpenMode, storePathState } from '@quire/vfs'
import type { DirLock, FileSystem, OpenModeOptions } from '@quire/vfs'
import {
  ClosedError,
  InvalidArgumentError,
  OverloadedError,
  PoisonedError,
  SnapshotCorruptError,
  SnapshotError,
  UnsupportedVersionError,
  WriteFailedError,
} from './errors.js'
import { SNAP_SUFFIX, TEMP_SUFFIX, compareNewestFirst, parseSnapFileName, snapFileName } from './file-name.js'
import type { SnapName } from './file-name.js'
import { keyBytes, keyDirName, keyFromDirName } from './key-dir.js'
import { LOAD_OPTION_KEYS, OPEN_OPTION_KEYS, SAVE_INPUT_KEYS } from './option-keys.js'
import {
  DEFAULT_CACHED_KEYS,
  DEFAULT_KEEP,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_OPERATIONS,
  DEFAULT_MAX_STATE_BYTES,
  DEFAULT_SCHEMA_VERSION,
  LOAD_RELIST_ATTEMPTS,
  MAX_CACHED_KEYS,
  MAX_KEEP,
  MAX_SCHEMA_VERSION,
  MAX_STATE_BYTES_CEILING,
  SINGLE_WRITE_MAX_BYTES,
} from './limits.js'
import { concatSnapshot, encodeSnapshot, newerFormatVersion, verifySnapshot } from './snapshot-file.js'
import type { EncodedSnapshot } from './snapshot-file.js'
import { resolveCodec } from './state-codec.js'
import type { CodecOption, ResolvedCodec } from './state-codec.js'

/** What `onCorrupt` receives for each damaged (or unreadable) snapshot file it skipped. */
export interface CorruptionReport {
  readonly key: string
  /** Absolute path of the damaged file. */
  readonly file: string
  /** Why it was rejected, e.g. `checksum mismatch`. */
  readonly reason: string
  /** The same facts as an error (code `SNAPSHOT_CORRUPT`), for logging. */
  readonly error: SnapshotCorruptError
}

/** What `onUnsupported` receives for a snapshot file of a newer format version (left alone). */
export interface UnsupportedReport {
  readonly key: string
  /** Absolute path of the file. */
  readonly file: string
  /** The format version it carries. */
  readonly version: number
  /** The same facts as an error (code `UNSUPPORTED_VERSION`), for logging. */
  readonly error: UnsupportedVersionError
}

/**
 * Options of `SnapshotStore.open`. Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`: a store is created when
 * nothing, or an empty directory, is at the path; `false`: `NOT_FOUND` instead), `errorIfExists`
 * (default `false`: `EXISTS` when the directory holds anything), `readOnly` (default `false`: with
 * `true`, no lock is taken and nothing is written, not even the removal of temp files an
 * interrupted save left; `load` and `keys` work, `save` and `delete` reject with `READ_ONLY`;
 * works on a read-only copy and next to a live writer).
 */
export interface SnapshotStoreOptions extends OpenModeOptions {
  /** The file system to write through (default: the real one, `new NodeFileSystem()`). */
  readonly fs?: FileSystem
  /**
   * How states become bytes: `msgpackCodec` (default), `jsonCodec`, your own `{ encode, decode }`,
   * or `'raw'`: the state must be a `Uint8Array`, written as is and returned as is.
   */
  readonly codec?: CodecOption
  /** Older snapshots retained per key besides the newest (default 2, 0 to 1000). */
  readonly keep?: number
  /** Largest encoded state written or read, in bytes (default 1 GiB, at most 4 GiB − 1). */
  readonly maxStateBytes?: number
  /**
   * How many keys' directory listings are kept in memory (default 4096); idle keys beyond it are
   * forgotten, least recently used first, and listed again when next used.
   */
  readonly cachedKeys?: number
  /**
   * Called for every damaged or unreadable snapshot file `load` (or pruning) skips. If it throws,
   * the `load` rejects with that error.
   */
  readonly onCorrupt?: (report: CorruptionReport) => void
  /**
   * Called once per file (per open store) for a snapshot file of a format version newer than this
   * release reads. Such a file is left alone: never loaded, pruned, moved or deleted, and never
   * reported as corrupt. If it throws, the `load` (or the pruning) that found it rejects.
   */
  readonly onUnsupported?: (report: UnsupportedReport) => void
  /**
   * Most saves, deletes and loads accepted and not yet settled, all keys together (default 65 536,
   * `DEFAULT_MAX_QUEUED_OPERATIONS`). One more rejects at once with `OverloadedError`
   * (`OVERLOADED`), nothing written: memory stays bounded when callers outrun the disk.
   */
  readonly maxQueuedOperations?: number
  /**
   * Encoded bytes of saves accepted and not yet settled at which the next operation rejects at once
   * with `OverloadedError` (default 64 MiB, `DEFAULT_MAX_QUEUED_BYTES`): at most this plus one save
   * (up to `maxStateBytes`) wait.
   */
  readonly maxQueuedBytes?: number
}

/** What `save` writes. */
export interface SaveInput {
  /** How far into the history this state reflects: a safe integer ≥ 0. */
  readonly position: number
  /** The state (a `Uint8Array` with codec `'raw'`; don't change that array until `save` resolves). */
  readonly state: unknown
  /** The shape of the state, an integer 0 to 2^32 − 1 (default 1). */
  readonly schemaVersion?: number
}

/** Options of `SnapshotStore.load`. Unknown keys are refused (`INVALID_ARGUMENT`). */
export interface LoadOptions {
  /** Only snapshots at or below this position (e.g. what the log still holds). */
  readonly maxPosition?: number
  /**
   * The schema version the caller can read. Snapshots with another version are skipped, except
   * older ones when `upgrade` is given. Without it, any version is returned.
   */
  readonly schemaVersion?: number
  /**
   * Turns the state of an older schema version into the requested one (may be async). If it
   * throws, `load` rejects with that error.
   */
  readonly upgrade?: (state: unknown, fromSchemaVersion: number) => unknown
}

/** A loaded snapshot. */
export interface Snapshot {
  readonly key: string
  readonly position: number
  readonly state: unknown
  /** The requested schema version after an upgrade, else the stored one. */
  readonly schemaVersion: number
  /** When it was saved (milliseconds since the Unix epoch, from the saver's clock). */
  readonly createdAtMs: number
}

/** Per-key bookkeeping: the save queue, the next sequence number, files known to be valid. */
interface KeyState {
  readonly key: string
  readonly bytes: Uint8Array
  readonly dir: string
  /** The last queued task; never rejects. */
  tail: Promise<void>
  /** Whether this process knows the key directory exists durably. */
  dirDurable: boolean
  /** Sequence of the next save, once the directory was listed. */
  nextSequence: number | undefined
  /**
   * The key's snapshot files, newest first, once listed. This process is the only writer (the
   * directory lock), so after one `readdir` the list is kept up to date in memory; it is dropped
   * (and the directory listed again) whenever an operation's outcome on disk is unknown.
   */
  listing: SnapName[] | undefined
  /** Snapshot file names written or verified by this process. */
  readonly knownValid: Set<string>
  /** Snapshot file names of a newer format version: left alone, reported once. */
  readonly newer: Set<string>
  /** Operations of this key not yet settled (queued work, loads): only an idle entry may be evicted. */
  pending: number
}

const noop = (): void => undefined

/**
 * Persisted, checksummed, versioned snapshots of any state, one series per key, in one directory.
 * A snapshot is a cache of a history: a missing or damaged one costs time, never correctness.
 *
 * - `save` is atomic and durable (temp file, one write, fdatasync, rename, directory fsync);
 *   saves of one key run one at a time, in call order; different keys run in parallel.
 * - `load` returns the snapshot with the highest position (≤ `maxPosition`) that verifies; a
 *   damaged file is reported through `onCorrupt` and skipped, and the next older one is used.
 * - One writer per directory: a second `open` fails with `LockedError` (code `LOCKED`).
 */
export class SnapshotStore implements AsyncDisposable {
  readonly dir: string
  readonly #fs: FileSystem
  readonly #lock: DirLock
  readonly #readOnly: boolean
  readonly #codec: ResolvedCodec
  readonly #keep: number
  readonly #maxStateBytes: number
  readonly #onCorrupt: ((report: CorruptionReport) => void) | undefined
  readonly #onUnsupported: ((report: UnsupportedReport) => void) | undefined
  readonly #cachedKeys: number
  readonly #maxQueuedOperations: number
  readonly #maxQueuedBytes: number
  /** Saves and deletes accepted and not yet settled, and the bytes of those saves. */
  #queuedOps = 0
  #queuedBytes = 0
  readonly #keys = new Map<string, KeyState>()
  readonly #inFlight = new Set<Promise<unknown>>()
  #closed = false
  #closing: Promise<void> | undefined
  #poison: unknown = undefined
  #poisoned = false

  private constructor(dir: string, fs: FileSystem, lock: DirLock, options: ResolvedOptions, readOnly = false) {
    this.dir = dir
    this.#fs = fs
    this.#lock = lock
    this.#readOnly = readOnly
    this.#codec = options.codec
    this.#keep = options.keep
    this.#maxStateBytes = options.maxStateBytes
    this.#onCorrupt = options.onCorrupt
    this.#onUnsupported = options.onUnsupported
    this.#cachedKeys = options.cachedKeys
    this.#maxQueuedOperations = options.maxQueuedOperations
    this.#maxQueuedBytes = options.maxQueuedBytes
  }

  /**
   * Opens (creating if needed) the store in `dir`, takes its lock and recovers: temp files left
   * by interrupted saves are deleted, and the directory entries are made durable.
   */
  static async open(dir: string, options: SnapshotStoreOptions = {}): Promise<SnapshotStore> {
    if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir must be a non-empty string')
    checkOptionKeys(options, OPEN_OPTION_KEYS, 'SnapshotStore.open', invalid)
    const resolved = resolveOptions(options)
    const mode = resolveOpenMode(options, invalid)
    const fs = options.fs ?? new NodeFileSystem()
    const root = resolve(dir)
    enforceOpenMode(mode, await storePathState(fs, root, 'directory', ROLE), root, ROLE)
    // Read-only: no lock, no recovery (its only work is removing temp files), nothing written.
    if (mode.readOnly) return new SnapshotStore(root, READ_ONLY_FS(fs), NO_LOCK, resolved, true)
    // syncExisting: a killed writer may have left the store directory without making it durable.
    const created = await ensureDir(fs, root, { syncExisting: true })
    let lock: DirLock | undefined
    try {
      lock = await acquireLock(fs, root)
      await recover(fs, root)
    } catch (err) {
      // A failed open leaves the disk as it found it: what it created goes again.
      await undoFailedOpen(fs, created, lock)
      throw err
    }
    // Saves and loads of different keys run at once: without a bound on open files, a deep queue
    // opens thousands at the same moment and EMFILE fails them (each holds one file at a time).
    return new SnapshotStore(root, limitOpenFiles(fs), lock, resolved)
  }

  /**
   * Saves `state` as the snapshot of `key` at `position`. Resolves once the snapshot is durable.
   * A position lower than an existing snapshot's is a valid save, but `load` keeps returning
   * the highest position. Older snapshots beyond `keep` are pruned after the new one is durable.
   */
  save(key: string, input: SaveInput): Promise<void> {
    try {
      this.#assertOpen()
      this.#assertWritable('SnapshotStore.save')
      const bytes = keyBytes(key)
      if (typeof input !== 'object' || input === null) throw new InvalidArgumentError('save input must be an object')
      checkOptionKeys(input, SAVE_INPUT_KEYS, 'SnapshotStore.save', invalid)
      const position = checkPosition(input.position, 'position')
      const schemaVersion = checkSchemaVersion(input.schemaVersion ?? DEFAULT_SCHEMA_VERSION)
      if (this.#poisoned) throw this.#poisonedError()
      this.#admit() // before the cost of encoding
      const state = this.#codec.encode(input.state)
      if (state.byteLength > this.#maxStateBytes) {
        throw new InvalidArgumentError(`encoded state is ${state.byteLength} bytes; the limit is ${this.#maxStateBytes}`)
      }
      const encoded = encodeSnapshot({ codecId: this.#codec.id, position, schemaVersion, createdAtMs: Date.now() }, bytes, state)
      // Small states are copied into one buffer now, so the caller may reuse its array at once.
      const data = encoded.total <= SINGLE_WRITE_MAX_BYTES ? concatSnapshot(encoded) : encoded
      const ks = this.#keyState(key, bytes)
      const done = this.#queued(ks.tail.then(() => this.#write(ks, position, data)), encoded.total)
      ks.tail = done.then(
        () => this.#prune(ks).catch(noop),
        noop,
      )
      this.#hold(ks, ks.tail)
      return done
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** The newest snapshot of `key` that verifies and fits the options, or `undefined`. */
  async load(key: string, options: LoadOptions = {}): Promise<Snapshot | undefined> {
    this.#assertOpen()
    const bytes = keyBytes(key)
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('load options must be an object')
    checkOptionKeys(options, LOAD_OPTION_KEYS, 'SnapshotStore.load', invalid)
    const maxPosition = options.maxPosition === undefined ? Number.MAX_SAFE_INTEGER : checkPosition(options.maxPosition, 'maxPosition')
    const wanted = options.schemaVersion === undefined ? undefined : checkSchemaVersion(options.schemaVersion)
    const upgrade = options.upgrade
    if (upgrade !== undefined && typeof upgrade !== 'function') throw new InvalidArgumentError('upgrade must be a function')
    this.#admit()
    const ks = this.#keyState(key, bytes)
    const work = this.#queued(this.#load(ks, maxPosition, wanted, upgrade), 0)
    this.#hold(ks, work)
    return work
  }

  /**
   * Removes every snapshot of `key` (after the key's queued saves). Durable when it resolves; a
   * crash in the middle leaves the newest snapshots, never only older ones.
   */
  delete(key: string): Promise<void> {
    try {
      this.#assertOpen()
      this.#assertWritable('SnapshotStore.delete')
      const bytes = keyBytes(key)
      this.#admit()
      const ks = this.#keyState(key, bytes)
      const done = this.#queued(ks.tail.then(() => this.#delete(ks)), 0)
      ks.tail = done.then(noop, noop)
      this.#hold(ks, ks.tail)
      return done
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Every key that has at least one snapshot file (in directory order: by the key's UTF-8 bytes). */
  async *keys(): AsyncGenerator<string, void, undefined> {
    this.#assertOpen()
    const names = await this.#fs.readdir(this.dir)
    for (const name of names) {
      const key = keyFromDirName(name)
      if (key === undefined) continue
      let entries: string[]
      try {
        entries = await this.#fs.readdir(safeJoin(this.dir, name))
      } catch (err) {
        if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) continue
        throw err
      }
      this.#assertOpen()
      if (entries.some((entry) => parseSnapFileName(entry) !== undefined)) yield key
    }
  }

  /** Waits for queued saves, deletes and loads, then releases the lock. Idempotent. */
  close(): Promise<void> {
    this.#closed = true
    this.#closing ??= (async () => {
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
      await this.#lock.release()
    })()
    return this.#closing
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError()
  }

  #assertWritable(operation: string): void {
    if (this.#readOnly) throw new ReadOnlyError(operation)
  }

  /** True when the store was opened with `readOnly: true`: `save` and `delete` reject with `READ_ONLY`. */
  get readOnly(): boolean {
    return this.#readOnly
  }

  #poisonedError(): PoisonedError {
    return new PoisonedError('an earlier sync failed; reopen the snapshot store', { cause: this.#poison })
  }

  #poisonWith(err: unknown, what: string): PoisonedError {
    if (!this.#poisoned) {
      this.#poisoned = true
      this.#poison = err
    }
    const errno = (err as { code?: unknown } | null | undefined)?.code
    return new PoisonedError(`${what} failed${typeof errno === 'string' ? ` (${errno})` : ''}; the snapshot store must be reopened`, { cause: err })
  }

  /**
   * Throws `OverloadedError` when a queue limit is reached. It does not depend on the new
   * operation's size (at most `maxQueuedBytes` plus one save wait), so it runs before encoding.
   */
  #admit(): void {
    if (this.#queuedOps >= this.#maxQueuedOperations) {
      throw new OverloadedError('maxQueuedOperations', this.#maxQueuedOperations, this.#queuedOps, this.#queuedBytes)
    }
    if (this.#queuedBytes >= this.#maxQueuedBytes) {
      throw new OverloadedError('maxQueuedBytes', this.#maxQueuedBytes, this.#queuedOps, this.#queuedBytes)
    }
  }

  /** Counts `work` (of `bytes`) against the queue limits until it settles. */
  #queued<T>(work: Promise<T>, bytes: number): Promise<T> {
    this.#queuedOps++
    this.#queuedBytes += bytes
    const release = (): void => {
      this.#queuedOps--
      this.#queuedBytes -= bytes
    }
    return work.then(
      (value) => {
        release()
        return value
      },
      (err: unknown) => {
        release()
        throw err
      },
    )
  }

  #track(work: Promise<unknown>): void {
    const settled = work.then(noop, noop)
    this.#inFlight.add(settled)
    void settled.then(() => this.#inFlight.delete(settled))
  }

  #keyState(key: string, bytes: Uint8Array): KeyState {
    let ks = this.#keys.get(key)
    if (ks === undefined) {
      ks = {
        key,
        bytes,
        dir: safeJoin(this.dir, keyDirName(bytes)),
        tail: Promise.resolve(),
        dirDurable: false,
        nextSequence: undefined,
        listing: undefined,
        knownValid: new Set(),
        newer: new Set(),
        pending: 0,
      }
      this.#evictIdleKeys()
    } else {
      this.#keys.delete(key) // re-inserted below: the map's order is least recently used first
    }
    this.#keys.set(key, ks)
    return ks
  }

  /** Keeps at most `cachedKeys` entries, dropping idle ones, least recently used first. */
  #evictIdleKeys(): void {
    if (this.#keys.size < this.#cachedKeys) return
    for (const [key, ks] of this.#keys) {
      if (this.#keys.size < this.#cachedKeys) return
      if (ks.pending === 0) this.#keys.delete(key)
    }
  }

  /** Counts `work` as pending on the key until it settles, and lets `close` wait for it. */
  #hold(ks: KeyState, work: Promise<unknown>): void {
    ks.pending++
    const settled = work.then(noop, noop).then(() => {
      ks.pending--
    })
    this.#track(settled)
  }

  /** Lists the key's snapshot files, newest first; none when the directory does not exist. */
  async #list(ks: KeyState): Promise<{ snaps: SnapName[]; names: string[] }> {
    let names: string[]
    try {
      names = await this.#fs.readdir(ks.dir)
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return { snaps: [], names: [] }
      throw err
    }
    const snaps: SnapName[] = []
    for (const name of names) {
      const parsed = parseSnapFileName(name)
      if (parsed !== undefined) snaps.push(parsed)
    }
    snaps.sort(compareNewestFirst)
    return { snaps, names }
  }

  /** The key's snapshot files, newest first, from memory after the first listing. */
  async #snaps(ks: KeyState): Promise<SnapName[]> {
    if (ks.listing === undefined) {
      const { snaps, names } = await this.#list(ks)
      ks.listing = snaps
      ks.nextSequence ??= nextSequenceOf(names)
    }
    return ks.listing
  }

  #forget(ks: KeyState, name: string): void {
    if (ks.listing === undefined) return
    const at = ks.listing.findIndex((snap) => snap.name === name)
    if (at !== -1) ks.listing.splice(at, 1)
  }

  #remember(ks: KeyState, snap: SnapName): void {
    if (ks.listing === undefined) return
    let at = 0
    while (at < ks.listing.length && compareNewestFirst(ks.listing[at]!, snap) < 0) at++
    ks.listing.splice(at, 0, snap)
  }

  /** Creates the key directory durably (once per process, or again after a delete). */
  async #ensureKeyDir(ks: KeyState): Promise<void> {
    if (ks.dirDurable) return
    let created = true
    try {
      await this.#fs.mkdir(ks.dir)
    } catch (err) {
      if (!isFsError(err, 'EEXIST')) throw err
      // Existing directories were made durable by open's directory sync, or by the save or
      // delete of this process that created them.
      created = false
    }
    if (created) {
      try {
        await this.#fs.syncDir(this.dir)
      } catch (err) {
        throw this.#poisonWith(err, 'syncing the store directory')
      }
    }
    ks.dirDurable = true
  }

  async #sequenceFor(ks: KeyState): Promise<number> {
    if (ks.nextSequence === undefined) {
      const { snaps, names } = await this.#list(ks)
      ks.listing ??= snaps
      ks.nextSequence = nextSequenceOf(names)
    }
    return ks.nextSequence++
  }

  /** {@link SnapshotStore.save}'s work; a file-system failure is `WRITE_FAILED` (typed, naming its errno). */
  async #write(ks: KeyState, position: number, data: Uint8Array | EncodedSnapshot): Promise<void> {
    try {
      await this.#writeSnapshot(ks, position, data)
    } catch (err) {
      if (err instanceof SnapshotError) throw err
      throw new WriteFailedError(`saving a snapshot of ${JSON.stringify(ks.key)}`, err)
    }
  }

  async #writeSnapshot(ks: KeyState, position: number, data: Uint8Array | EncodedSnapshot): Promise<void> {
    if (this.#poisoned) throw this.#poisonedError()
    await this.#ensureKeyDir(ks)
    const sequence = await this.#sequenceFor(ks)
    const name = snapFileName(position, sequence)
    const final = safeJoin(ks.dir, name)
    const temp = `${final}.tmp`
    const handle = await this.#fs.open(temp, 'w')
    try {
      if (data instanceof Uint8Array) {
        await handle.write(data, 0)
      } else {
        await handle.write(data.head, 0)
        await handle.write(data.state, data.head.byteLength)
        await handle.write(data.trailer, data.head.byteLength + data.state.byteLength)
      }
    } catch (err) {
      await handle.close().catch(noop)
      await this.#fs.unlink(temp).catch(noop)
      throw err
    }
    try {
      await handle.sync()
    } catch (err) {
      await handle.close().catch(noop)
      await this.#fs.unlink(temp).catch(noop)
      throw this.#poisonWith(err, 'syncing a snapshot')
    }
    try {
      await handle.close()
      await this.#fs.rename(temp, final)
      this.#remember(ks, { name, position, sequence })
    } catch (err) {
      ks.listing = undefined // did the rename happen? Look again next time.
      // Not poisoned: the content was durable, so whether or not the rename happened, the key
      // directory holds a valid snapshot or none — this save just was not acknowledged.
      await this.#fs.unlink(temp).catch(noop)
      throw err
    }
    try {
      await this.#fs.syncDir(ks.dir)
    } catch (err) {
      throw this.#poisonWith(err, 'syncing a key directory')
    }
    ks.knownValid.add(name)
  }

  /**
   * Keeps the `keep + 1` valid snapshots with the highest (position, sequence) and deletes the
   * rest, oldest first. Runs after a save is durable; failures only leave extra files behind.
   */
  async #prune(ks: KeyState): Promise<void> {
    if (this.#poisoned) return
    const snaps = [...(await this.#snaps(ks))]
    const doomed: SnapName[] = []
    /** Doomed because damaged: their bytes are kept in a quarantine file, not deleted. */
    const damaged = new Set<string>()
    let retained = 0
    for (const snap of snaps) {
      // A newer release's file: neither kept in the count nor deleted (issue 13).
      if (ks.newer.has(snap.name)) continue
      if (retained > this.#keep) {
        if (ks.knownValid.has(snap.name) || !(await this.#isNewerFormat(ks, snap.name))) doomed.push(snap)
        continue
      }
      if (ks.knownValid.has(snap.name)) {
        retained++
        continue
      }
      const file = safeJoin(ks.dir, snap.name)
      let bytes: Uint8Array
      try {
        bytes = await this.#fs.readFile(file)
      } catch (err) {
        if (isFsError(err, 'ENOENT')) this.#forget(ks, snap.name)
        continue // vanished or unreadable: neither counted nor deleted
      }
      const verdict = verifySnapshot(bytes, { key: ks.bytes, position: snap.position, maxStateBytes: this.#maxStateBytes })
      if (verdict.ok) {
        ks.knownValid.add(snap.name)
        retained++
      } else if (verdict.unsupportedVersion !== undefined) {
        this.#reportNewer(ks, snap.name, verdict.unsupportedVersion)
      } else {
        this.#report(ks, file, verdict.reason)
        doomed.push(snap)
        damaged.add(snap.name)
      }
    }
    for (const snap of doomed.reverse()) {
      try {
        // Never destroy bytes unseen: a damaged file may be all that is left of a state.
        if (damaged.has(snap.name)) await quarantineFile(this.#fs, ks.dir, snap.name)
        else await this.#fs.unlink(safeJoin(ks.dir, snap.name))
      } catch (err) {
        if (!isFsError(err, 'ENOENT')) {
          ks.listing = undefined
          return
        }
      }
      ks.knownValid.delete(snap.name)
      this.#forget(ks, snap.name)
    }
  }

  async #load(
    ks: KeyState,
    maxPosition: number,
    wanted: number | undefined,
    upgrade: LoadOptions['upgrade'],
  ): Promise<Snapshot | undefined> {
    for (let attempt = 0; attempt < LOAD_RELIST_ATTEMPTS; attempt++) {
      const pass = await this.#newest(ks, maxPosition, wanted, upgrade)
      if (pass.snapshot !== undefined || !pass.vanished) return pass.snapshot
    }
    // Saves keep pruning what this load was about to read: wait for a gap in the key's queue,
    // where no prune runs, and look once more.
    const last = ks.tail.then(() => this.#newest(ks, maxPosition, wanted, upgrade))
    ks.tail = last.then(noop, noop)
    return (await last).snapshot
  }

  /** One pass over the key's files, newest first; `vanished` when a listed file was gone. */
  async #newest(
    ks: KeyState,
    maxPosition: number,
    wanted: number | undefined,
    upgrade: LoadOptions['upgrade'],
  ): Promise<{ snapshot?: Snapshot; vanished: boolean }> {
    // A copy: a concurrent save or prune edits the listing while this load reads files.
    const snaps = [...(await this.#snaps(ks))]
    let vanished = false
    for (const snap of snaps) {
      if (snap.position > maxPosition || ks.newer.has(snap.name)) continue
      const file = safeJoin(ks.dir, snap.name)
      let bytes: Uint8Array
      try {
        bytes = await this.#fs.readFile(file)
      } catch (err) {
        if (isFsError(err, 'ENOENT')) {
          vanished = true // pruned by a concurrent save (so something newer exists), or gone
          this.#forget(ks, snap.name)
          continue
        }
        this.#report(ks, file, `unreadable: ${err instanceof Error ? err.message : String(err)}`, err)
        continue
      }
      const verdict = verifySnapshot(bytes, { key: ks.bytes, position: snap.position, maxStateBytes: this.#maxStateBytes })
      if (!verdict.ok && verdict.unsupportedVersion !== undefined) {
        this.#reportNewer(ks, snap.name, verdict.unsupportedVersion)
        continue
      }
      if (!verdict.ok) {
        // Damaged since it was written: pruning must not count it among the valid ones it keeps.
        ks.knownValid.delete(snap.name)
        this.#report(ks, file, verdict.reason)
        continue
      }
      const found = verdict.snapshot
      ks.knownValid.add(snap.name)
      if (found.codecId !== this.#codec.id) continue
      if (wanted !== undefined) {
        if (found.schemaVersion > wanted) continue
        if (found.schemaVersion < wanted && upgrade === undefined) continue
      }
      let state: unknown
      try {
        state = this.#codec.decode(found.state)
      } catch (err) {
        this.#report(ks, file, `state does not decode: ${err instanceof Error ? err.message : String(err)}`, err)
        continue
      }
      let schemaVersion = found.schemaVersion
      if (wanted !== undefined && schemaVersion < wanted && upgrade !== undefined) {
        state = await upgrade(state, schemaVersion)
        schemaVersion = wanted
      }
      return { snapshot: { key: ks.key, position: found.position, state, schemaVersion, createdAtMs: found.createdAtMs }, vanished }
    }
    return { vanished }
  }

  async #delete(ks: KeyState): Promise<void> {
    if (this.#poisoned) throw this.#poisonedError()
    ks.listing = undefined // whatever happens below, list again afterwards
    const { snaps, names } = await this.#list(ks)
    if (names.length === 0) {
      ks.dirDurable = false
      ks.listing = []
      return
    }
    // Oldest first: directory changes survive a crash as a prefix, so what a crash leaves is
    // always the newest snapshots.
    for (const snap of [...snaps].reverse()) {
      // A newer release's file stays (it keeps the key directory too): this code cannot read it.
      if (ks.newer.has(snap.name) || (!ks.knownValid.has(snap.name) && (await this.#isNewerFormat(ks, snap.name)))) continue
      await this.#unlinkIfThere(safeJoin(ks.dir, snap.name))
      ks.knownValid.delete(snap.name)
    }
    for (const name of names) if (name.endsWith(TEMP_SUFFIX)) await this.#unlinkIfThere(safeJoin(ks.dir, name))
    try {
      await this.#fs.syncDir(ks.dir)
    } catch (err) {
      throw this.#poisonWith(err, 'syncing a key directory')
    }
    try {
      await this.#fs.rmdir(ks.dir)
    } catch (err) {
      // Foreign files keep the directory; keys() ignores a directory without snapshots.
      if (!isFsError(err, 'ENOTEMPTY') && !isFsError(err, 'ENOENT')) throw err
    }
    ks.dirDurable = false
    try {
      await this.#fs.syncDir(this.dir)
    } catch (err) {
      throw this.#poisonWith(err, 'syncing the store directory')
    }
    ks.listing = []
  }

  async #unlinkIfThere(path: string): Promise<void> {
    try {
      await this.#fs.unlink(path)
    } catch (err) {
      if (!isFsError(err, 'ENOENT')) throw err
    }
  }

  /**
   * Reads the first bytes of a file this process has not verified: true (and reported once) when
   * a newer release wrote it. Pruning and delete look before they remove a file they never read.
   */
  async #isNewerFormat(ks: KeyState, name: string): Promise<boolean> {
    if (ks.newer.has(name)) return true
    let head: Uint8Array
    try {
      const handle = await this.#fs.open(safeJoin(ks.dir, name), 'r')
      try {
        head = new Uint8Array(16)
        head = head.subarray(0, await handle.read(head, 0))
      } finally {
        await handle.close()
      }
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return false
      throw err
    }
    const version = newerFormatVersion(head)
    if (version === undefined) return false
    this.#reportNewer(ks, name, version)
    return true
  }

  #reportNewer(ks: KeyState, name: string, version: number): void {
    if (ks.newer.has(name)) return
    ks.newer.add(name)
    ks.knownValid.delete(name)
    if (this.#onUnsupported === undefined) return
    const file = safeJoin(ks.dir, name)
    this.#onUnsupported({ key: ks.key, file, version, error: new UnsupportedVersionError(file, version) })
  }

  #report(ks: KeyState, file: string, reason: string, cause?: unknown): void {
    if (this.#onCorrupt === undefined) return
    const error = new SnapshotCorruptError(file, reason, cause === undefined ? undefined : { cause })
    this.#onCorrupt({ key: ks.key, file, reason, error })
  }
}

/** One more than the largest sequence among a key directory's snapshot and temp file names. */
function nextSequenceOf(names: readonly string[]): number {
  let max = -1
  for (const name of names) {
    const base = name.endsWith(TEMP_SUFFIX) ? name.slice(0, -TEMP_SUFFIX.length) + SNAP_SUFFIX : name
    const parsed = parseSnapFileName(base)
    if (parsed !== undefined && parsed.sequence > max) max = parsed.sequence
  }
  return max + 1
}

interface ResolvedOptions {
  readonly codec: ResolvedCodec
  readonly keep: number
  readonly cachedKeys: number
  readonly maxStateBytes: number
  readonly onCorrupt: ((report: CorruptionReport) => void) | undefined
  readonly onUnsupported: ((report: UnsupportedReport) => void) | undefined
  readonly maxQueuedOperations: number
  readonly maxQueuedBytes: number
}

/** What the store's directory is called in errors. */
const ROLE = "the snapshot store's directory"

/** The lock of a read-only store: there is none to release. */
const NO_LOCK: DirLock = { path: '', release: async () => undefined }

const invalid = (message: string): InvalidArgumentError => new InvalidArgumentError(message)

/** A read-only view of `fs`, with the bound on open files every store has. */
const READ_ONLY_FS = (fs: FileSystem): FileSystem => limitOpenFiles(new ReadOnlyFileSystem(fs))

function resolveOptions(options: SnapshotStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object')
  const keep = options.keep ?? DEFAULT_KEEP
  if (!Number.isInteger(keep) || keep < 0 || keep > MAX_KEEP) {
    throw new InvalidArgumentError(`keep must be an integer from 0 to ${MAX_KEEP}`)
  }
  const maxStateBytes = options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES
  if (!Number.isInteger(maxStateBytes) || maxStateBytes < 0 || maxStateBytes > MAX_STATE_BYTES_CEILING) {
    throw new InvalidArgumentError(`maxStateBytes must be an integer from 0 to ${MAX_STATE_BYTES_CEILING}`)
  }
  const cachedKeys = options.cachedKeys ?? DEFAULT_CACHED_KEYS
  if (!Number.isInteger(cachedKeys) || cachedKeys < 1 || cachedKeys > MAX_CACHED_KEYS) {
    throw new InvalidArgumentError(`cachedKeys must be an integer from 1 to ${MAX_CACHED_KEYS}`)
  }
  const onCorrupt = options.onCorrupt
  if (onCorrupt !== undefined && typeof onCorrupt !== 'function') throw new InvalidArgumentError('onCorrupt must be a function')
  const onUnsupported = options.onUnsupported
  if (onUnsupported !== undefined && typeof onUnsupported !== 'function') throw new InvalidArgumentError('onUnsupported must be a function')
  if (options.fs !== undefined && (typeof options.fs !== 'object' || options.fs === null)) {
    throw new InvalidArgumentError('fs must be a FileSystem')
  }
  const maxQueuedOperations = options.maxQueuedOperations ?? DEFAULT_MAX_QUEUED_OPERATIONS
  if (!Number.isSafeInteger(maxQueuedOperations) || maxQueuedOperations < 1) {
    throw new InvalidArgumentError('maxQueuedOperations must be a safe integer ≥ 1')
  }
  const maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES
  if (!Number.isSafeInteger(maxQueuedBytes) || maxQueuedBytes < 1) throw new InvalidArgumentError('maxQueuedBytes must be a safe integer ≥ 1')
  return { codec: resolveCodec(options.codec), keep, cachedKeys, maxStateBytes, onCorrupt, onUnsupported, maxQueuedOperations, maxQueuedBytes }
}

function checkPosition(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a safe integer ≥ 0`)
  }
  return value
}

function checkSchemaVersion(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SCHEMA_VERSION) {
    throw new InvalidArgumentError(`schemaVersion must be an integer from 0 to ${MAX_SCHEMA_VERSION}`)
  }
  return value
}

/**
 * Deletes temp files left by interrupted saves and empty key directories, then syncs the store
 * directory, so every key directory this store will write into is durably named.
 */
async function recover(fs: FileSystem, root: string): Promise<void> {
  for (const name of await fs.readdir(root)) {
    if (keyFromDirName(name) === undefined) continue
    const dir = safeJoin(root, name)
    let entries: string[]
    try {
      entries = await fs.readdir(dir)
    } catch (err) {
      if (isFsError(err, 'ENOTDIR') || isFsError(err, 'ENOENT')) continue
      throw err
    }
    let left = entries.length
    for (const entry of entries) {
      if (!entry.endsWith(TEMP_SUFFIX)) continue
      try {
        await fs.unlink(safeJoin(dir, entry))
      } catch (err) {
        if (!isFsError(err, 'ENOENT')) throw err
      }
      left--
    }
    if (left === 0) {
      try {
        await fs.rmdir(dir)
      } catch (err) {
        if (!isFsError(err, 'ENOENT') && !isFsError(err, 'ENOTEMPTY')) throw err
      }
    }
  }
  await fs.syncDir(root)
}
