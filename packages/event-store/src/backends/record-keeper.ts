import { join, resolve } from 'node:path'
import { integerOption } from '@quire/durable'
import { RecordKeeper } from '@quire/fs-record-keeper'
import { NodeFileSystem, type FileSystem, type OpenModeOptions } from '@quire/vfs'
import type { CommitLog } from '../commit-log.js'
import type { EventStoreBackend, EventStoreDriver } from '../driver.js'
import { LocalDriver } from '../local/local-driver.js'
import {
  RECORD_KEEPER_DEFAULT_MAX_COMMIT_BYTES,
  RECORD_KEEPER_FILE_OVERHEAD_BYTES,
  RecordKeeperCommitLog,
} from './record-keeper-commit-log.js'
import { RECORD_KEEPER_BACKEND_OPTION_KEYS } from './option-keys.js'
import { readOnlyLog } from './read-only-log.js'
import { SnapshotSideStore } from './snapshot-side-store.js'
import { backendOpenMode, checkPath, openBackendDir, shareLock } from './store-dir.js'

/** Options of {@link recordKeeperBackend}.
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`; `false`: `NOT_FOUND`
 * when there is no store), `errorIfExists` (default `false`: `EXISTS` when there is one),
 * `readOnly` (default `false`: with `true`, no lock is taken and nothing is written (the log and
 * the state are opened read-only); reads, subscriptions and `aggregateStream` work, while
 * appends, stream commands and checkpoint saves reject with `READ_ONLY`; works on a read-only
 * copy and next to a live writer, seeing the commits acknowledged when it opened).
 * Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 */
export interface RecordKeeperBackendOptions extends OpenModeOptions {
  /** The file system to go through (default: the real one). */
  readonly fs?: FileSystem
  /** Largest commit record, as JSON bytes (default 32 MiB); a larger append is `MAX_APPEND_SIZE_EXCEEDED`. */
  readonly maxCommitBytes?: number
  /** The store's clock, for `recordedAt` (default `Date.now`). */
  readonly now?: () => number
}

/**
 * An event store over `@quire/fs-record-keeper` (FORMAT.md, "Record-keeper backend"): one JSON
 * file per commit in the record keeper's linked list (`dir/log/rk/`), `dir/LOCK` the store's
 * lock, `dir/state/` checkpoints and snapshots. Always durable (no `sync` option); slow (a file
 * and one sync round per group of commits) but every commit is a file a person can read.
 * Any failed write poisons the store until reopen (the record keeper has no rollback).
 *
 * @throws `InvalidArgumentError` for a bad `dir` or option (when called); `open()` throws
 *   `LOCKED`, `CORRUPT` (the record keeper's or the event store's).
 */
export function recordKeeperBackend(dir: string, options: RecordKeeperBackendOptions = {}): EventStoreBackend {
  checkPath(dir, 'dir')
  RECORD_KEEPER_BACKEND_OPTION_KEYS.check(options)
  backendOpenMode(options)
  integerOption('maxCommitBytes', options.maxCommitBytes, { min: 1024, max: Number.MAX_SAFE_INTEGER }, RECORD_KEEPER_DEFAULT_MAX_COMMIT_BYTES)
  return {
    name: 'record-keeper',
    open: async (): Promise<EventStoreDriver> => {
      const { log, side } = await openRecordKeeperStore(dir, options)
      return LocalDriver.open({ name: 'record-keeper', log, side, ...(options.now === undefined ? {} : { now: options.now }) })
    },
  }
}

/** Opens the parts of a record-keeper-backed store without the driver. For tests and tools. */
export async function openRecordKeeperStore(
  dir: string,
  options: RecordKeeperBackendOptions = {},
): Promise<{ log: CommitLog; side: SnapshotSideStore }> {
  const fs = options.fs ?? new NodeFileSystem()
  const root = resolve(dir)
  const maxCommitBytes = options.maxCommitBytes ?? RECORD_KEEPER_DEFAULT_MAX_COMMIT_BYTES
  const mode = backendOpenMode(options)
  return openBackendDir(fs, root, mode, 'record-keeper', 'record-keeper event store', {
    recover: () =>
      RecordKeeper.open(join(root, 'log'), {
        fs,
        readOnly: mode.readOnly,
        maxEventBytes: maxCommitBytes + RECORD_KEEPER_FILE_OVERHEAD_BYTES,
        // The facade bounds what waits (EventStore.open's maxQueued*): the log must not refuse a commit the driver took.
        maxQueuedOperations: Number.MAX_SAFE_INTEGER,
        maxQueuedBytes: Number.MAX_SAFE_INTEGER,
      }),
    construct: async (rk, lock) => {
      const [releaseLog, releaseSide] = shareLock(lock, 2) as [() => Promise<void>, () => Promise<void>]
      const log = await RecordKeeperCommitLog.open(rk, { maxCommitBytes, onClose: releaseLog })
      const side = await SnapshotSideStore.open(join(root, 'state'), { fs, onClose: releaseSide, readOnly: mode.readOnly })
      return { log: mode.readOnly ? readOnlyLog(log) : log, side }
    },
    discard: (rk) => rk.close(),
  })
}
