import { resolve } from 'node:path'
import { Poison, QueueBudget, StoreState, openStore } from '@quire/durable'
import { NO_LOCK, NodeFileSystem, ReadOnlyError, ReadOnlyFileSystem, enforceOpenMode, isFsError, limitOpenFiles, resolveOpenMode, safeJoin, storePathState } from '@quire/vfs'
import type { DirLock, FileSystem } from '@quire/vfs'
import { deleteKey } from './delete.js'
import { InvalidArgumentError, OverloadedError } from './errors.js'
import { parseSnapFileName } from './file-name.js'
import { KeyCache } from './key-cache.js'
import type { KeyState } from './key-cache.js'
import { keyBytes, keyFromDirName } from './key-dir.js'
import { DEFAULT_SCHEMA_VERSION, SINGLE_WRITE_MAX_BYTES } from './limits.js'
import { loadNewest } from './load.js'
import type { Snapshot } from './load.js'
import { LOAD_OPTION_KEYS, OPEN_OPTION_KEYS, SAVE_INPUT_KEYS, checkPosition, checkSchemaVersion, invalid, resolveOptions } from './options.js'
import type { LoadOptions, ResolvedOptions, SaveInput, SnapshotStoreOptions } from './options.js'
import { prune } from './prune.js'
import { recover } from './recovery.js'
import { saveSnapshot } from './save.js'
import { concatSnapshot, encodeSnapshot } from './snapshot-file.js'
import { poisonedStore, type StoreContext } from './store-context.js'

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
 *
 * This file is the API and the bookkeeping around it (queues, limits); the work of each operation
 * is in its own file: `save.ts`, `load.ts`, `prune.ts`, `delete.ts`, `recovery.ts`. The lifecycle
 * (open's steps, close once, the poison) is `@quire/durable`'s `openStore` and `StoreState`.
 */
export class SnapshotStore implements AsyncDisposable {
  readonly dir: string
  readonly #fs: FileSystem
  readonly #options: ResolvedOptions
  readonly #ctx: StoreContext
  readonly #state: StoreState
  readonly #budget: QueueBudget
  readonly #keys: KeyCache
  readonly #inFlight = new Set<Promise<unknown>>()

  private constructor(dir: string, fs: FileSystem, lock: DirLock, options: ResolvedOptions, readOnly = false) {
    this.dir = dir
    this.#fs = fs
    this.#options = options
    const poison = new Poison(poisonedStore)
    this.#ctx = { dir, fs, options, poison }
    this.#state = new StoreState({
      poison,
      readOnly,
      // Queued saves, deletes and loads settle first; then the lock goes.
      onClose: async () => {
        while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
        await lock.release()
      },
    })
    this.#budget = new QueueBudget(options, (d) => new OverloadedError(d.limit, d.max, d.queuedOperations, d.queuedBytes))
    this.#keys = new KeyCache(dir, options.cachedKeys)
  }

  /**
   * Opens (creating if needed) the store in `dir`, takes its lock and recovers: temp files left
   * by interrupted saves are deleted, and the directory entries are made durable.
   */
  static async open(dir: string, options: SnapshotStoreOptions = {}): Promise<SnapshotStore> {
    if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir must be a non-empty string')
    OPEN_OPTION_KEYS.check(options)
    const resolved = resolveOptions(options)
    const mode = resolveOpenMode(options, invalid)
    const fs = options.fs ?? new NodeFileSystem()
    const root = resolve(dir)
    // Key directories mark a snapshot store, and a FORMAT marker (a store embedding this one, such as
    // the event store's state directory, writes its own): a folder of other files is not one.
    enforceOpenMode(mode, await storePathState(fs, root, 'directory', ROLE, (name) => name === 'FORMAT' || keyFromDirName(name) !== undefined), root, ROLE)
    // Read-only: no lock, no recovery (its only work is removing temp files), nothing written.
    if (mode.readOnly) return new SnapshotStore(root, READ_ONLY_FS(fs), NO_LOCK, resolved, true)
    return openStore({
      fs,
      dir: root,
      recover: () => recover(fs, root),
      // Saves and loads of different keys run at once: without a bound on open files, a deep queue
      // opens thousands at the same moment and EMFILE fails them (each holds one file at a time).
      construct: (_, lock) => new SnapshotStore(root, limitOpenFiles(fs), lock, resolved),
    })
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
      SAVE_INPUT_KEYS.check(input)
      const position = checkPosition(input.position, 'position')
      const schemaVersion = checkSchemaVersion(input.schemaVersion ?? DEFAULT_SCHEMA_VERSION)
      this.#ctx.poison.check()
      this.#admit() // before the cost of encoding
      const { codec, maxStateBytes } = this.#options
      const state = codec.encode(input.state)
      if (state.byteLength > maxStateBytes) {
        throw new InvalidArgumentError(`encoded state is ${state.byteLength} bytes; the limit is ${maxStateBytes}`)
      }
      const encoded = encodeSnapshot({ codecId: codec.id, position, schemaVersion, createdAtMs: Date.now() }, bytes, state)
      // Small states are copied into one buffer now, so the caller may reuse its array at once.
      const data = encoded.total <= SINGLE_WRITE_MAX_BYTES ? concatSnapshot(encoded) : encoded
      const ks = this.#keys.get(key, bytes)
      const done = this.#budget.run(encoded.total, () => ks.tail.then(() => saveSnapshot(this.#ctx, ks, position, data)))
      ks.tail = done.then(
        () => prune(this.#ctx, ks).catch(noop),
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
    LOAD_OPTION_KEYS.check(options)
    const maxPosition = options.maxPosition === undefined ? Number.MAX_SAFE_INTEGER : checkPosition(options.maxPosition, 'maxPosition')
    const wanted = options.schemaVersion === undefined ? undefined : checkSchemaVersion(options.schemaVersion)
    const upgrade = options.upgrade
    if (upgrade !== undefined && typeof upgrade !== 'function') throw new InvalidArgumentError('upgrade must be a function')
    this.#admit()
    const ks = this.#keys.get(key, bytes)
    const work = this.#budget.run(0, () => loadNewest(this.#ctx, ks, { maxPosition, wanted, upgrade }))
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
      const ks = this.#keys.get(key, bytes)
      const done = this.#budget.run(0, () => ks.tail.then(() => deleteKey(this.#ctx, ks)))
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
    return this.#state.close()
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** True when the store was opened with `readOnly: true`: `save` and `delete` reject with `READ_ONLY`. */
  get readOnly(): boolean {
    return this.#state.readOnly
  }

  /** Throws `OVERLOADED` when a queue limit is reached (nothing taken: `run` takes the room). */
  #admit(): void {
    const refused = this.#budget.refusal()
    if (refused !== undefined) throw refused
  }

  #assertOpen(): void {
    this.#state.assertOpen()
  }

  /** `READ_ONLY` (of `@quire/vfs`) on a read-only store; the poison is checked after the input, in `save`'s work. */
  #assertWritable(operation: string): void {
    if (this.#state.readOnly) throw new ReadOnlyError(operation)
  }

  /** Counts `work` as pending on the key until it settles, and lets `close` wait for it. */
  #hold(ks: KeyState, work: Promise<unknown>): void {
    ks.pending++
    const settled = work.then(noop, noop).then(() => {
      ks.pending--
    })
    this.#inFlight.add(settled)
    void settled.then(() => this.#inFlight.delete(settled))
  }
}

/** What the store's directory is called in errors. */
const ROLE = "the snapshot store's directory"

/** A read-only view of `fs`, with the bound on open files every store has. */
const READ_ONLY_FS = (fs: FileSystem): FileSystem => limitOpenFiles(new ReadOnlyFileSystem(fs))
