import { resolve } from 'node:path'
import { NdjsonLog, type RecoveryMode } from '@quire/ndjson-log'
import { ensureDir, NodeFileSystem, type FileSystem, type OpenModeOptions } from '@quire/vfs'
import type { CommitLog } from '../commit-log.js'
import type { EventStoreBackend, EventStoreDriver } from '../driver.js'
import { MAX_EVENT_BYTES } from '../limits.js'
import { LocalDriver } from '../local/local-driver.js'
import { NdjsonCommitLog } from './ndjson-commit-log.js'
import type { NdjsonEventRecord } from './ndjson-format.js'
import { NDJSON_BACKEND_OPTION_KEYS } from './option-keys.js'
import { readOnlyLog } from './read-only-log.js'
import { SnapshotSideStore } from './snapshot-side-store.js'
import { backendOpenMode, checkFormat, checkPath } from './store-dir.js'

/** Largest NDJSON record: an event's data and metadata at their limit plus its other fields. */
const NDJSON_MAX_RECORD_BYTES = MAX_EVENT_BYTES + 64 * 1024

/** Suffix of the directory next to the log that holds checkpoints and snapshots. */
export const NDJSON_STATE_SUFFIX = '.state'

/** Options of {@link ndjsonBackend}.
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`; `false`: `NOT_FOUND`
 * when there is no store), `errorIfExists` (default `false`: `EXISTS` when there is one),
 * `readOnly` (default `false`: with `true`, no lock is taken and nothing is written (the log and
 * the state are opened read-only); reads, subscriptions and `aggregateStream` work, while
 * appends, stream commands and checkpoint saves reject with `READ_ONLY`; works on a read-only
 * copy and next to a live writer, seeing the commits acknowledged when it opened).
 * Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 */
export interface NdjsonBackendOptions extends OpenModeOptions {
  /** The file system to go through (default: the real one). */
  readonly fs?: FileSystem
  /**
   * `'always'` (default): an append resolves once `fdatasync`ed. `'none'`: once the OS has it —
   * a power loss may take back the newest acknowledged commits (whole) and re-give their
   * positions; a checkpoint beyond the new end is then `CHECKPOINT_MISMATCH`.
   */
  readonly sync?: 'always' | 'none'
  /**
   * Damage in the middle of the file: `'strict'` (default) refuses to open with `CORRUPT`;
   * `'point-in-time'` keeps what precedes it. `'skip-corrupt'` skips the damaged records, which
   * leaves a hole in positions: the store then refuses to open with `CORRUPT` as under `'strict'`.
   */
  readonly recovery?: RecoveryMode
  /** Rotate the log into numbered archives past this size (default: never); see `@quire/ndjson-log`. */
  readonly maxFileBytes?: number
  /** The store's clock, for `recordedAt` (default `Date.now`). */
  readonly now?: () => number
}

/**
 * An event store in one human-readable NDJSON file (`@quire/ndjson-log`; FORMAT.md, "NDJSON
 * backend"): one line per event, readable with `jq`. Checkpoints and snapshots live in the
 * directory `<filePath>.state/`; the log's own lock (`<stem>.ndjson.lock/`) makes a second opener
 * fail with `LOCKED`. A commit is one atomic NDJSON batch; positions are the records' seqs.
 *
 * @throws `InvalidArgumentError` for a bad `filePath` (when called); `open()` throws `LOCKED`,
 *   `CORRUPT` (the log's or the event store's), and the log's option errors.
 */
export function ndjsonBackend(filePath: string, options: NdjsonBackendOptions = {}): EventStoreBackend {
  checkPath(filePath, 'filePath')
  NDJSON_BACKEND_OPTION_KEYS.check(options)
  backendOpenMode(options)
  return {
    name: 'ndjson',
    open: async (): Promise<EventStoreDriver> => {
      const { log, side } = await openNdjsonStore(filePath, options)
      return LocalDriver.open({ name: 'ndjson', log, side, ...(options.now === undefined ? {} : { now: options.now }) })
    },
  }
}

/** Opens the parts of an NDJSON-backed store without the driver. For tests and tools. */
export async function openNdjsonStore(
  filePath: string,
  options: NdjsonBackendOptions = {},
): Promise<{ log: CommitLog; side: SnapshotSideStore }> {
  const fs = options.fs ?? new NodeFileSystem()
  const path = resolve(filePath)
  const mode = backendOpenMode(options)
  // The log applies the open modes to its file (NOT_FOUND, EXISTS, NOT_NDJSON_LOG, a path in the way).
  const log = await NdjsonLog.open<NdjsonEventRecord>(path, {
    fs,
    createIfMissing: mode.createIfMissing,
    errorIfExists: mode.errorIfExists,
    readOnly: mode.readOnly,
    sync: options.sync ?? 'always',
    maxRecordBytes: NDJSON_MAX_RECORD_BYTES,
    // The facade bounds what waits (EventStore.open's maxQueued*): the log must not refuse a commit the driver took.
    maxQueuedOperations: Number.MAX_SAFE_INTEGER,
    maxQueuedBytes: Number.MAX_SAFE_INTEGER,
    ...(options.recovery === undefined ? {} : { recovery: options.recovery }),
    ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
  })
  try {
    // The log's lock is held: this process is the store's only writer.
    const stateDir = `${path}${NDJSON_STATE_SUFFIX}`
    if (!mode.readOnly) await ensureDir(fs, stateDir, { syncExisting: true })
    await checkFormat(fs, stateDir, 'ndjson', mode.readOnly)
    const side = await SnapshotSideStore.open(stateDir, { fs, readOnly: mode.readOnly })
    const commitLog = new NdjsonCommitLog(log)
    return { log: mode.readOnly ? readOnlyLog(commitLog) : commitLog, side }
  } catch (err) {
    await log.close().catch(() => undefined)
    throw err
  }
}
