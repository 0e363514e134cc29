import { resolve } from 'node:path'
import {
  NO_LOCK,
  enforceOpenMode,
  expectPathKind,
  NodeFileSystem,
  removeCreatedDirs,
  resolveOpenMode,
  safeJoin,
  storePathState,
  type DirLock,
  type FileSystem,
  type OpenModeOptions,
} from '@quire/vfs'
import { describeValue, functionOption, integerOption, oneOfOption, openStore, StoreState } from '@quire/durable'
import { SnapshotStore } from '@quire/snapshots'
import { Wal } from '@quire/wal'
import { encodeCheckpoint, forEachCheckpointEntry, readCheckpoint, type CheckpointState } from './checkpoint-format.js'
import { CommitReplay, commitBatch } from './commit-format.js'
import { MvccEngine, type CommitWrites, type IsolationLevel, type PersistCommit } from './engine.js'
import { ClosedError, InvalidArgumentError, MvccCorruptError, ReadOnlyError, UnsupportedVersionError } from './errors.js'
import { BEGIN_OPTION_KEYS, STORE_OPTION_KEYS, TRANSACTION_OPTION_KEYS } from './option-keys.js'
import { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_COMMITS, DEFAULT_TX_TIMEOUT_MS } from './limits.js'
import { runTransaction, type TransactionOptions } from './retry.js'
import { Version } from './versions.js'
import type { Transaction } from './transaction.js'

/** The snapshot key checkpoints are saved under. */
export const CHECKPOINT_SNAPSHOT_KEY = 'mvcc'
/** `schemaVersion` of checkpoint snapshots. */
export const CHECKPOINT_SCHEMA_VERSION = 1

/**
 * Options of `MvccStore.open`. Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`; `false`: `NOT_FOUND`
 * when nothing, or an empty directory, is at the path), `errorIfExists` (default `false`: `EXISTS`
 * when the directory holds anything), `readOnly` (default `false`: with `true`, no lock is taken
 * and nothing is written (the WAL and the checkpoints are read as a read-only open of each does);
 * every transaction is read-only, so `put` and `delete` throw `READ_ONLY`, and `checkpoint`
 * rejects with `READ_ONLY`; works on a read-only copy and next to a live writer, seeing the
 * commits acknowledged when it opened).
 */
export interface MvccStoreOptions extends OpenModeOptions {
  /** File system (default: the real one). */
  readonly fs?: FileSystem
  /** `'snapshot'` (default) or `'serializable'`. */
  readonly isolation?: IsolationLevel
  /**
   * `'always'` (default): `commit` resolves once the commit is fsynced. `'none'`: once the OS
   * has it; a crash may lose the latest commits (never part of one, never one in the middle).
   */
  readonly sync?: 'always' | 'none'
  /** Transactions open longer than this are aborted (default 60 000 ms). */
  readonly txTimeoutMs?: number
  /** WAL segment size (see @quire/wal). */
  readonly segmentBytes?: number
  /** Clock for transaction timeouts (default `Date.now`). */
  readonly now?: () => number
  /**
   * Most commits validated and not yet durable and visible (default 16 384,
   * `DEFAULT_MAX_QUEUED_COMMITS`). One more `commit` rejects at once with `OverloadedError`
   * (`OVERLOADED`) and its transaction is aborted, nothing written: memory stays bounded when
   * callers outrun the disk.
   */
  readonly maxQueuedOperations?: number
  /**
   * WAL bytes of those commits at which the next commit is refused the same way (default 64 MiB,
   * `DEFAULT_MAX_QUEUED_BYTES`): at most this plus one commit wait.
   */
  readonly maxQueuedBytes?: number
}

/** What `checkpoint()` wrote. */
export interface CheckpointResult {
  /** Commit timestamp of the state saved. */
  readonly commitTs: number
  /** WAL seq the state reflects; the WAL was truncated up to it. */
  readonly position: number
  /** Live keys saved. */
  readonly keys: number
}

/** Counters for tests and monitoring. */
export interface MvccStats {
  readonly keys: number
  /** Versions held in memory, all keys together (walks the index). */
  readonly versions: number
  readonly openTransactions: number
  /** Timestamp of the newest commit visible to new transactions. */
  readonly visibleTs: number
}

/**
 * A durable key-value store with multi-version concurrency control: snapshot isolation by
 * default, serializable on request. Commits go to a `@quire/wal` log (one atomic batch per
 * transaction, group-committed); checkpoints go to `@quire/snapshots`.
 *
 * Layout of `dir`: `wal/` (the log), `snapshots/` (checkpoints), and a lock file.
 */
export class MvccStore implements AsyncDisposable {
  readonly dir: string
  readonly isolation: IsolationLevel
  readonly #engine: MvccEngine
  readonly #wal: Wal
  /** Absent only in a read-only store without any checkpoint. */
  readonly #snapshots: SnapshotStore | undefined
  readonly #lock: DirLock
  readonly #readOnly: boolean
  readonly #timer: ReturnType<typeof setInterval>
  /** Close once, `Symbol.asyncDispose`, the closed guard: the lifecycle every store shares. */
  readonly #state: StoreState
  #checkpointing: Promise<unknown> = Promise.resolve()
  /** The checkpoint queued behind the running one, not started yet. */
  #nextCheckpoint: Promise<CheckpointResult> | undefined

  private constructor(dir: string, isolation: IsolationLevel, recovered: Recovered, lock: DirLock, readOnly: boolean) {
    this.dir = dir
    this.isolation = isolation
    const engine = recovered.engine
    this.#engine = engine
    this.#wal = recovered.wal
    this.#snapshots = recovered.snapshots
    this.#lock = lock
    this.#readOnly = readOnly
    this.#state = new StoreState({ onClose: () => this.#close(), readOnly, errors: { closed: () => new ClosedError() } })
    // Abandoned transactions are aborted even when nobody calls into the store.
    this.#timer = setInterval(() => engine.expireOld(), Math.max(10, Math.min(1000, engine.txTimeoutMs)))
    this.#timer.unref()
  }

  /**
   * Opens (creating if needed) the store in `dir` and recovers it: loads the newest valid
   * checkpoint, then replays the WAL after it. A second open of the same directory fails with
   * `LOCKED`.
   */
  static async open(dir: string, options: MvccStoreOptions = {}): Promise<MvccStore> {
    if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('dir must be a non-empty string')
    STORE_OPTION_KEYS.check(options)
    const checked = checkOptions(options)
    const mode = resolveOpenMode(options, invalid)
    const fs = options.fs ?? new NodeFileSystem()
    const root = resolve(dir)
    const snapshotsDir = safeJoin(root, 'snapshots')
    const walDir = safeJoin(root, 'wal')
    // Before anything is created: every path must hold what the store expects there, or nothing.
    const state = await storePathState(fs, root, 'directory', ROLE, (name) => name === 'wal' || name === 'snapshots')
    const existed = {
      snapshots: await expectPathKind(fs, snapshotsDir, 'directory', "the store's checkpoint directory"),
      wal: await expectPathKind(fs, walDir, 'directory', "the store's write-ahead log directory"),
    }
    enforceOpenMode(mode, state, root, ROLE)
    if (mode.readOnly) return MvccStore.#openReadOnly(fs, root, snapshotsDir, walDir, checked)
    // The shared lifecycle: the directory made durable (a killed writer may have left it without
    // a directory sync), the lock, recovery, construction; on failure what it created goes again.
    return openStore<Recovered, MvccStore>({
      fs,
      dir: root,
      recover: async (lock) => {
        let snapshots: SnapshotStore | undefined
        let wal: Wal | undefined
        try {
          snapshots = await SnapshotStore.open(snapshotsDir, {
            fs,
            codec: 'raw',
            // A checkpoint file of a newer snapshot format: this release must not go on without it
            // (it would fall back to an older checkpoint, and its own checkpoints could prune it).
            onUnsupported: (report) => {
              throw new UnsupportedVersionError(`checkpoint file ${report.file} has snapshot format version ${report.version}, written by a newer release; this release will not touch the store`)
            },
          })
          // The checkpoint first: its WAL position is a seq the log has given out, even if a power
          // loss under sync 'none' took the entry back; the WAL must never give it again.
          const checkpoint = await loadCheckpoint(snapshots)
          // The WAL's entries as they come: the engine takes the commit's position from the last.
          // No transaction exists before the WAL is open (recovery only applies what it reads).
          const engine = newEngine(checked, (ts: number, writes: CommitWrites) =>
            wal === undefined ? Promise.reject(new ClosedError()) : wal.appendBatch(commitBatch(ts, writes)),
          )
          const replay = startRecovery(engine, checkpoint)
          wal = await Wal.open(walDir, {
            fs,
            sync: checked.sync,
            minLastSeq: checkpoint?.walSeq ?? 0,
            // The engine bounds what waits (below): the WAL must never refuse a commit the engine took,
            // which would leave the commits queued with it in doubt.
            maxQueuedOperations: Number.MAX_SAFE_INTEGER,
            maxQueuedBytes: Number.MAX_SAFE_INTEGER,
            ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
            // The log is replayed while recovery scans it: read once, not twice.
            onRecover: (entries) => replay.push(entries),
          })
          finishRecovery(wal, replay, checkpoint)
          return { engine, wal, snapshots }
        } catch (error) {
          await wal?.close().catch(() => undefined)
          await snapshots?.close().catch(() => undefined)
          // The parts this open created go again, while the store's lock still holds them (no
          // other opener can be using them); openStore then removes the directory if it made it.
          if (!existed.wal) await removeCreatedDirs(fs, [walDir], [lock.path]).catch(() => undefined)
          if (!existed.snapshots) await removeCreatedDirs(fs, [snapshotsDir], [lock.path]).catch(() => undefined)
          throw error
        }
      },
      construct: (recovered, lock) => new MvccStore(root, checked.isolation, recovered, lock, false),
      discard: async (recovered) => {
        await recovered.wal.close()
        await recovered.snapshots?.close()
      },
    })
  }

  /**
   * Begins a transaction. Its snapshot is taken now, at `begin` (not at its first read): it
   * sees every commit that resolved before this call, and none that resolves after.
   */
  begin(options: { readonly readOnly?: boolean } = NO_OPTIONS): Transaction {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object')
    BEGIN_OPTION_KEYS.check(options)
    // A read-only store has only read-only transactions: a write throws READ_ONLY at once.
    return this.#engine.begin(options.readOnly === true || this.#readOnly)
  }

  /** True when the store was opened with `readOnly: true`: every transaction is read-only. */
  get readOnly(): boolean {
    return this.#readOnly
  }

  /**
   * A read-only open: no lock; the checkpoints and the WAL are opened read-only (nothing written,
   * a torn tail read past in memory). The engine's commits are refused before they reach the WAL.
   */
  static async #openReadOnly(
    fs: FileSystem,
    root: string,
    snapshotsDir: string,
    walDir: string,
    checked: ReturnType<typeof checkOptions>,
  ): Promise<MvccStore> {
    // A store that never wrote a checkpoint has an empty checkpoint directory: nothing to read.
    const snapshots =
      (await storePathState(fs, snapshotsDir, 'directory', "the store's checkpoint directory")) === 'present'
        ? await SnapshotStore.open(snapshotsDir, {
            fs,
            codec: 'raw',
            readOnly: true,
            onUnsupported: (report) => {
              throw new UnsupportedVersionError(`checkpoint file ${report.file} has snapshot format version ${report.version}, written by a newer release`)
            },
          })
        : undefined
    let wal: Wal | undefined
    try {
      const checkpoint = snapshots === undefined ? undefined : await loadCheckpoint(snapshots)
      const engine = newEngine(checked, () => Promise.reject(new ReadOnlyError(`persist to ${root}`)))
      const replay = startRecovery(engine, checkpoint)
      wal = await Wal.open(walDir, { fs, readOnly: true, onRecover: (entries) => replay.push(entries) })
      finishRecovery(wal, replay, checkpoint)
      return new MvccStore(root, checked.isolation, { engine, wal, snapshots }, NO_LOCK, true)
    } catch (error) {
      await wal?.close().catch(() => undefined)
      await snapshots?.close().catch(() => undefined)
      throw error
    }
  }

  /**
   * Runs `fn` in a transaction and commits it; on `ConflictError` retries from a fresh snapshot
   * (default 10 times) with randomized exponential backoff. Resolves with `fn`'s result.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options: TransactionOptions = NO_OPTIONS): Promise<T> {
    try {
      TRANSACTION_OPTION_KEYS.check(options)
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    return runTransaction(this.#beginTx, fn, options)
  }

  /** `begin` for `transaction`: made once, not a closure and an options object per transaction. */
  readonly #beginTx = (readOnly: boolean): Transaction => this.#engine.begin(readOnly === true || this.#readOnly)

  /**
   * Writes a durable snapshot of the committed state (through @quire/snapshots), then truncates
   * the WAL up to the position it reflects. Commits continue meanwhile. A crash at any point
   * loses nothing: until the snapshot is durable the WAL still holds everything.
   */
  checkpoint(): Promise<CheckpointResult> {
    if (this.#state.closed) return Promise.reject(new ClosedError())
    if (this.#readOnly) return Promise.reject(new ReadOnlyError(`checkpoint of ${this.dir}`))
    // Calls made while a checkpoint waits to start share it (it starts after all of them, so it
    // covers what each of them asked for): waiting checkpoints never pile up.
    if (this.#nextCheckpoint !== undefined) return this.#nextCheckpoint
    const run = this.#checkpointing.then(() => {
      this.#nextCheckpoint = undefined
      return this.#checkpoint()
    })
    this.#nextCheckpoint = run
    this.#checkpointing = run.catch(() => undefined)
    return run
  }

  async #checkpoint(): Promise<CheckpointResult> {
    this.#engine.assertUsable()
    const ts = this.#engine.pin()
    const position = this.#engine.visiblePosition
    let encoded: { bytes: Uint8Array; keys: number }
    try {
      encoded = encodeCheckpoint(this.#engine.index, ts, position)
    } finally {
      this.#engine.unpin(ts)
    }
    // The snapshot's position is the commit timestamp, which only grows; the WAL seq (which a
    // lossy sync 'none' recovery can make the log reuse) is kept inside the state.
    const snapshots = this.#snapshots
    if (snapshots === undefined) throw new ReadOnlyError(`checkpoint of ${this.dir}`)
    await snapshots.save(CHECKPOINT_SNAPSHOT_KEY, {
      position: ts,
      state: encoded.bytes,
      schemaVersion: CHECKPOINT_SCHEMA_VERSION,
    })
    if (position > 0) await this.#wal.truncateBefore(position)
    return { commitTs: ts, position, keys: encoded.keys }
  }

  /** Counters (walks the whole index for `versions`). */
  stats(): MvccStats {
    return {
      keys: this.#engine.index.keyCount,
      versions: this.#engine.index.versionCount(),
      openTransactions: this.#engine.openTransactions,
      visibleTs: this.#engine.visibleTs,
    }
  }

  /**
   * Closes the store: open transactions are aborted (later use throws `CLOSED`), commits in
   * flight finish, then the WAL and snapshot store close. Idempotent.
   */
  close(): Promise<void> {
    return this.#state.close()
  }

  async #close(): Promise<void> {
    clearInterval(this.#timer)
    this.#engine.close()
    await this.#engine.drain()
    await this.#checkpointing
    try {
      await this.#wal.close()
      await this.#snapshots?.close()
    } finally {
      await this.#lock.release()
    }
  }

  /** The same as `close()`: `await using` closes the store at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#state[Symbol.asyncDispose]()
  }
}

/** What recovery built: the store's parts before it is constructed. */
interface Recovered {
  readonly engine: MvccEngine
  readonly wal: Wal
  /** Absent only in a read-only store without any checkpoint. */
  readonly snapshots: SnapshotStore | undefined
}

/** The newest checkpoint this release can use, decoded; `UNSUPPORTED_VERSION` for a newer one. */
async function loadCheckpoint(snapshots: SnapshotStore): Promise<CheckpointState | undefined> {
  // The newest checkpoint of any schema first: one a newer release wrote must stop this release,
  // which would otherwise fall back to an older checkpoint and later prune the newer one.
  const newest = await snapshots.load(CHECKPOINT_SNAPSHOT_KEY)
  if (newest !== undefined && newest.schemaVersion > CHECKPOINT_SCHEMA_VERSION) {
    throw new UnsupportedVersionError(
      `the newest checkpoint (position ${newest.position}) has schema version ${newest.schemaVersion}, written by a newer release; this release reads ${CHECKPOINT_SCHEMA_VERSION} and will not touch the store`,
    )
  }
  const snapshot =
    newest?.schemaVersion === CHECKPOINT_SCHEMA_VERSION
      ? newest
      : await snapshots.load(CHECKPOINT_SNAPSHOT_KEY, { schemaVersion: CHECKPOINT_SCHEMA_VERSION })
  if (snapshot === undefined) return undefined
  if (!(snapshot.state instanceof Uint8Array)) throw new MvccCorruptError('checkpoint state is not bytes')
  const state = readCheckpoint(snapshot.state)
  if (state.ts !== snapshot.position) throw new MvccCorruptError('checkpoint timestamp and snapshot position disagree')
  return state
}

/** The engine an open recovers into: the checked options, and where its commits go. */
function newEngine(checked: ReturnType<typeof checkOptions>, persist: PersistCommit): MvccEngine {
  const { isolation, txTimeoutMs, now, maxQueuedOperations, maxQueuedBytes } = checked
  return new MvccEngine({ isolation, txTimeoutMs, now, persist, maxQueuedOperations, maxQueuedBytes })
}

/**
 * Recovery's first half, before the WAL is opened: loads the checkpoint into the (empty) engine
 * and returns what replays the WAL after it, fed by `Wal.open`'s `onRecover` while the log is
 * scanned. Commits the checkpoint already has are skipped by commit timestamp: under sync 'none'
 * a crash right after a checkpoint may lose WAL entries at or below its position, and a release
 * before minLastSeq then gave those seqs to new commits. Commit timestamps continue from the
 * checkpoint's, so they never collide. The WAL hands out what lies above its floor (normally the
 * checkpoint's position: truncateBefore put it there), a batch the floor cut through whole.
 */
function startRecovery(engine: MvccEngine, checkpoint: CheckpointState | undefined): CommitReplay {
  let checkpointTs = 0
  if (checkpoint !== undefined) {
    checkpointTs = checkpoint.ts
    const index = engine.index
    // The index is empty: each key is loaded without a lookup, and a key written twice (the state
    // is checked for framing only) shows as fewer keys than the state holds.
    forEachCheckpointEntry(checkpoint, (key, value) => index.load(key, new Version(checkpointTs, value)))
    if (index.keyCount !== checkpoint.keys) {
      throw new MvccCorruptError(`checkpoint state holds ${checkpoint.keys} entries but only ${index.keyCount} distinct keys`)
    }
    // The WAL is opened with minLastSeq = walSeq: it holds, or has moved past, every seq up to it.
    engine.resetClock(checkpointTs, checkpoint.walSeq)
  }
  return new CommitReplay(checkpointTs, (ts, seq, keys, values, count) => engine.recover(ts, seq, keys, values, count))
}

/** Recovery's second half, once the WAL is open (and replayed). */
function finishRecovery(wal: Wal, replay: CommitReplay, checkpoint: CheckpointState | undefined): void {
  const walSeq = checkpoint?.walSeq ?? 0
  // The WAL was only ever truncated up to a checkpoint that was durable first; if it is
  // truncated beyond the checkpoint we found (the newer one is damaged), history is missing.
  if (wal.floorSeq > walSeq) {
    throw new MvccCorruptError(
      `the WAL was truncated up to seq ${wal.floorSeq} but the newest valid checkpoint covers only up to seq ${walSeq}: commits in between are lost`,
    )
  }
  replay.finish()
}

function checkOptions(options: MvccStoreOptions): {
  isolation: IsolationLevel
  sync: 'always' | 'none'
  txTimeoutMs: number
  now: () => number
  maxQueuedOperations: number
  maxQueuedBytes: number
} {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object')
  const isolation = oneOfOption<IsolationLevel>('isolation', options.isolation, ['snapshot', 'serializable'], 'snapshot')
  const sync = oneOfOption('sync', options.sync, ['always', 'none'], 'always')
  // A number of milliseconds, not necessarily whole: no shared integer validator fits.
  const txTimeoutMs = options.txTimeoutMs ?? DEFAULT_TX_TIMEOUT_MS
  if (typeof txTimeoutMs !== 'number' || !Number.isFinite(txTimeoutMs) || txTimeoutMs <= 0) {
    throw new InvalidArgumentError(`txTimeoutMs must be a positive number, got ${describeValue(txTimeoutMs)}`)
  }
  const now = functionOption<() => number>('now', options.now, Date.now)
  const maxQueuedOperations = integerOption('maxQueuedOperations', options.maxQueuedOperations, QUEUE_LIMIT_RANGE, DEFAULT_MAX_QUEUED_COMMITS)
  const maxQueuedBytes = integerOption('maxQueuedBytes', options.maxQueuedBytes, QUEUE_LIMIT_RANGE, DEFAULT_MAX_QUEUED_BYTES)
  return { isolation, sync, txTimeoutMs, now, maxQueuedOperations, maxQueuedBytes }
}

/** `maxQueuedOperations` and `maxQueuedBytes`: 1 .. 2^53 − 1. */
const QUEUE_LIMIT_RANGE = { min: 1, max: Number.MAX_SAFE_INTEGER }

/** What the store's directory is called in errors. */
const ROLE = "the MVCC store's directory"

const invalid = (message: string): InvalidArgumentError => new InvalidArgumentError(message)

/** The options of a call made without any (shared: no object per call). */
const NO_OPTIONS = Object.freeze({})
