import { join, resolve } from 'node:path'
import { RecordKeeper } from '@quire/fs-record-keeper'
import { NodeFileSystem, type FileSystem } from '@quire/vfs'
import type { EventStoreBackend, EventStoreDriver } from '../driver.js'
import { InvalidArgumentError } from '../errors.js'
import { LocalDriver } from '../local/local-driver.js'
import {
  RECORD_KEEPER_DEFAULT_MAX_COMMIT_BYTES,
  RECORD_KEEPER_FILE_OVERHEAD_BYTES,
  RecordKeeperCommitLog,
} from './record-keeper-commit-log.js'
import { SnapshotSideStore } from './snapshot-side-store.js'
import { checkFormat, checkPath, lockStoreDir, shareLock } from './store-dir.js'

/** Options of {@link recordKeeperBackend}. */
export interface RecordKeeperBackendOptions {
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
 * and two sync rounds per group of commits) but every commit is a file a person can read.
 * Any failed write poisons the store until reopen (the record keeper has no rollback).
 *
 * @throws `InvalidArgumentError` for a bad `dir` or option (when called); `open()` throws
 *   `LOCKED`, `CORRUPT` (the record keeper's), `EVENT_STORE_CORRUPT`.
 */
export function recordKeeperBackend(dir: string, options: RecordKeeperBackendOptions = {}): EventStoreBackend {
  checkPath(dir, 'dir')
  const max = options.maxCommitBytes ?? RECORD_KEEPER_DEFAULT_MAX_COMMIT_BYTES
  if (!Number.isSafeInteger(max) || max < 1024) throw new InvalidArgumentError('maxCommitBytes must be an integer >= 1024')
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
): Promise<{ log: RecordKeeperCommitLog; side: SnapshotSideStore }> {
  const fs = options.fs ?? new NodeFileSystem()
  const root = resolve(dir)
  const maxCommitBytes = options.maxCommitBytes ?? RECORD_KEEPER_DEFAULT_MAX_COMMIT_BYTES
  const lock = await lockStoreDir(fs, root)
  const [releaseLog, releaseSide] = shareLock(lock, 2) as [() => Promise<void>, () => Promise<void>]
  let rk: RecordKeeper | undefined
  try {
    await checkFormat(fs, root, 'record-keeper')
    rk = await RecordKeeper.open(join(root, 'log'), {
      fs,
      maxEventBytes: maxCommitBytes + RECORD_KEEPER_FILE_OVERHEAD_BYTES,
      // The facade bounds what waits (EventStore.open's maxQueued*): the log must not refuse a commit the driver took.
      maxQueuedOperations: Number.MAX_SAFE_INTEGER,
      maxQueuedBytes: Number.MAX_SAFE_INTEGER,
    })
    const log = await RecordKeeperCommitLog.open(rk, { maxCommitBytes, onClose: releaseLog })
    const side = await SnapshotSideStore.open(join(root, 'state'), { fs, onClose: releaseSide })
    return { log, side }
  } catch (err) {
    await rk?.close().catch(() => undefined)
    await lock.release().catch(() => undefined)
    throw err
  }
}
