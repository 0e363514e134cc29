import { join, resolve } from 'node:path'
import { NodeFileSystem, type FileSystem, type OpenModeOptions } from '@quire/vfs'
import { Wal, type WalRecoveryMode } from '@quire/wal'
import type { CommitLog } from '../commit-log.js'
import type { EventStoreBackend, EventStoreDriver } from '../driver.js'
import { LocalDriver } from '../local/local-driver.js'
import { WAL_BACKEND_OPTION_KEYS } from './option-keys.js'
import { readOnlyLog } from './read-only-log.js'
import { SnapshotSideStore } from './snapshot-side-store.js'
import { backendOpenMode, checkPath, openBackendDir, shareLock } from './store-dir.js'
import { WalCommitLog } from './wal-commit-log.js'

/**
 * Options of {@link walBackend}.
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`; `false`: `NOT_FOUND`
 * when there is no store), `errorIfExists` (default `false`: `EXISTS` when there is one),
 * `readOnly` (default `false`: with `true`, no lock is taken and nothing is written (the log and
 * the state are opened read-only); reads, subscriptions and `aggregateStream` work, while
 * appends, stream commands and checkpoint saves reject with `READ_ONLY`; works on a read-only
 * copy and next to a live writer, seeing the commits acknowledged when it opened).
 * Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 */
export interface WalBackendOptions extends OpenModeOptions {
  /** The file system to go through (default: the real one). `SimFileSystem` in crash tests. */
  readonly fs?: FileSystem
  /**
   * `'always'` (default): an append resolves once its events are `fdatasync`ed. `'none'`: once
   * the OS has them — a power loss may take back the newest acknowledged commits (whole, never
   * part of one), and their positions are given again; a durable-subscription checkpoint beyond
   * the new end is then caught as `CHECKPOINT_MISMATCH`, never a silent skip.
   */
  readonly sync?: 'always' | 'none'
  /** WAL segment size in bytes (default 64 MiB, 1 KiB .. 1 GiB). */
  readonly segmentBytes?: number
  /**
   * What the WAL does with damage in the middle of the log (default `'strict'`: refuse to open
   * with `CORRUPT`). `'point-in-time'` keeps what precedes the damage and re-gives the
   * positions after it: checkpoints beyond are then `CHECKPOINT_MISMATCH`. `'skip-corrupt'`
   * skips the damaged entries, which leaves a hole in positions: the store then refuses to open
   * with `CORRUPT` as under `'strict'` (`$all` never skips silently).
   */
  readonly recovery?: WalRecoveryMode
  /** The store's clock, for `recordedAt` (default `Date.now`). */
  readonly now?: () => number
}

/**
 * The default embedded backend: `@quire/wal` under `dir` (see FORMAT.md, "WAL backend").
 *
 * ```ts
 * const store = await EventStore.open({ backend: walBackend('/var/lib/bank/events') })
 * ```
 *
 * `dir/LOCK` is the store's single-writer lock (`LOCKED` for a second opener), `dir/log/` the
 * WAL, `dir/state/` the `@quire/snapshots` store of checkpoints and snapshots. A commit is one
 * atomic WAL batch; positions are WAL seqs; concurrent appends share a group commit.
 *
 * @throws `InvalidArgumentError` for a bad `dir` (when called); `open()` throws `LOCKED`,
 *   `CORRUPT` (the WAL's or the event store's) and the WAL's own option errors.
 */
export function walBackend(dir: string, options: WalBackendOptions = {}): EventStoreBackend {
  checkPath(dir, 'dir')
  WAL_BACKEND_OPTION_KEYS.check(options)
  backendOpenMode(options)
  return {
    name: 'wal',
    open: async (): Promise<EventStoreDriver> => {
      const { log, side } = await openWalStore(dir, options)
      return LocalDriver.open({ name: 'wal', log, side, ...(options.now === undefined ? {} : { now: options.now }) })
    },
  }
}

/**
 * Opens the parts of a WAL-backed store — its commit log and side store — without the driver.
 * The store lock is released once both are closed. For tests and tools; stores use {@link walBackend}.
 */
export async function openWalStore(dir: string, options: WalBackendOptions = {}): Promise<{ log: CommitLog; side: SnapshotSideStore }> {
  const fs = options.fs ?? new NodeFileSystem()
  const root = resolve(dir)
  const mode = backendOpenMode(options)
  return openBackendDir(fs, root, mode, 'wal', 'WAL event store', {
    recover: () =>
      Wal.open(join(root, 'log'), {
        fs,
        readOnly: mode.readOnly,
        sync: options.sync ?? 'always',
        // The facade bounds what waits (EventStore.open's maxQueued*): the log must not refuse a
        // commit the driver took.
        maxQueuedOperations: Number.MAX_SAFE_INTEGER,
        maxQueuedBytes: Number.MAX_SAFE_INTEGER,
        ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
        ...(options.recovery === undefined ? {} : { recovery: options.recovery }),
      }),
    construct: async (wal, lock) => {
      const [releaseLog, releaseSide] = shareLock(lock, 2) as [() => Promise<void>, () => Promise<void>]
      const side = await SnapshotSideStore.open(join(root, 'state'), { fs, onClose: releaseSide, readOnly: mode.readOnly })
      const log = new WalCommitLog(wal, releaseLog)
      return { log: mode.readOnly ? readOnlyLog(log) : log, side }
    },
    discard: (wal) => wal.close(),
  })
}
