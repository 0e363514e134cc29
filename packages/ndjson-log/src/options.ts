import { integerOption, oneOfOption, optionKeys, RECOVERY_MODES, type RecoveryMode } from '@quire/durable'
import type { FileSystem, OpenModeOptions } from '@quire/vfs'
import { InvalidArgumentError } from './errors.js'
import {
  DEFAULT_MAX_BATCH_RECORDS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_OPERATIONS,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_PREALLOCATE_BYTES,
  MAX_BATCH_RECORDS_LIMIT,
  MAX_PREALLOCATE_BYTES,
  MAX_RECORD_BYTES_LIMIT,
  MIN_FILE_BYTES,
} from './limits.js'

/** When an append is acknowledged. */
export type SyncMode = 'always' | 'none'

/**
 * Options of `NdjsonLog.open`. Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`: a new log is created
 * when no file, or an empty one, is at the path and no archive exists; `false`: `NOT_FOUND`
 * instead), `errorIfExists` (default `false`: `EXISTS` when the log exists), `readOnly` (default
 * `false`: with `true`, no lock is taken and nothing is written, not even recovery's repairs or a
 * lock directory; a torn tail or free space is read past in memory; `append`, `appendBatch` and
 * `sync` reject with `READ_ONLY`; works on a read-only copy and next to a live writer, seeing what
 * was acknowledged when it opened).
 */
export interface NdjsonLogOptions extends OpenModeOptions {
  /** The file system to go through. Default: a `NodeFileSystem`. */
  readonly fs?: FileSystem
  /**
   * `'always'` (default): an append resolves only after its line is written and `fdatasync`ed
   * (group commit: one sync for every append that arrived meanwhile). `'none'`: it resolves once
   * the line is written to the OS, which loses it in a power failure (not in a process crash);
   * call `NdjsonLog.sync` for a durable point.
   */
  readonly sync?: SyncMode
  /**
   * What `open` does with damage in the middle of the active file (a torn tail is always cut):
   * `'strict'` (default) fails with `NdjsonCorruptError`; `'point-in-time'` keeps what precedes
   * the damage and cuts the file there; `'skip-corrupt'` skips damaged lines and reports them.
   */
  readonly recovery?: RecoveryMode
  /**
   * Roll the active file into a numbered archive once it would grow past this many bytes
   * (see FORMAT.md). A file exceeds it only when one transaction alone is larger. Default: never.
   */
  readonly maxFileBytes?: number
  /** Largest record, as serialized JSON. Default 1 MiB, at most 64 MiB. */
  readonly maxRecordBytes?: number
  /** Most records in one `appendBatch`. Default 10 000. */
  readonly maxBatchRecords?: number
  /**
   * With `sync: 'always'`, free space kept after the data, as a valid JSON line of spaces
   * (`{"pad":"   "}`, see FORMAT.md), so that most group commits overwrite space the file already
   * has and `fdatasync` need not also commit a new file size (many times faster on ext4/xfs).
   * `close()` trims it. 0 disables it. Default 1 MiB, at most 64 MiB.
   */
  readonly preallocateBytes?: number
  /**
   * Most appends, batches and `sync()` calls accepted and not yet settled (default 65 536,
   * `DEFAULT_MAX_QUEUED_OPERATIONS`). One more rejects at once with `OverloadedError`
   * (`OVERLOADED`), nothing written: memory stays bounded when producers outrun the disk.
   */
  readonly maxQueuedOperations?: number
  /**
   * Bytes of lines accepted and not yet settled at which the next append rejects at once with
   * `OverloadedError` (default 64 MiB, `DEFAULT_MAX_QUEUED_BYTES`): at most this plus one
   * operation wait.
   */
  readonly maxQueuedBytes?: number
}

/** Options of `NdjsonLog.read`. Unknown keys are refused (`INVALID_ARGUMENT`). */
export interface ReadOptions {
  /** First `seq` to yield (default 1). */
  readonly fromSeq?: number
}

/** The checked settings of an open log (every default applied). */
export interface LogSettings {
  readonly syncMode: SyncMode
  readonly mode: RecoveryMode
  readonly maxFileBytes: number | undefined
  readonly maxRecordBytes: number
  readonly maxBatchRecords: number
  /** 0 with `sync: 'none'`: free space only pays when every group syncs. */
  readonly preallocateBytes: number
  readonly maxQueuedOperations: number
  readonly maxQueuedBytes: number
}

/** The keys `NdjsonLog.open` knows: a key of {@link NdjsonLogOptions} missing here fails to compile. */
export const OPEN_OPTION_KEYS = optionKeys<NdjsonLogOptions>()(
  [
    'fs',
    'sync',
    'recovery',
    'maxFileBytes',
    'maxRecordBytes',
    'maxBatchRecords',
    'preallocateBytes',
    'maxQueuedOperations',
    'maxQueuedBytes',
    'createIfMissing',
    'errorIfExists',
    'readOnly',
  ] as const,
  'NdjsonLog.open',
)

/** The keys `NdjsonLog.read` knows. */
export const READ_OPTION_KEYS = optionKeys<ReadOptions>()(['fromSeq'] as const, 'NdjsonLog.read')

/** Builds the `INVALID_ARGUMENT` error of a bad option (the form `@quire/vfs`' checks take). */
export const invalid = (message: string): InvalidArgumentError => new InvalidArgumentError(message)

/**
 * Checks `opts` (keys checked by the caller) and applies the defaults (an option left out, or
 * `null`, takes its default). @throws `InvalidArgumentError`.
 */
export function resolveSettings(opts: NdjsonLogOptions): LogSettings {
  const syncMode = oneOfOption<SyncMode>('sync', opts.sync ?? 'always', ['always', 'none'])
  const mode = oneOfOption('recovery', opts.recovery ?? 'strict', RECOVERY_MODES)
  const maxRecordBytes = integerOption('maxRecordBytes', opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, { min: 2, max: MAX_RECORD_BYTES_LIMIT })
  const maxBatchRecords = integerOption('maxBatchRecords', opts.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS, { min: 1, max: MAX_BATCH_RECORDS_LIMIT })
  const maxFileBytes =
    opts.maxFileBytes === undefined ? undefined : integerOption('maxFileBytes', opts.maxFileBytes, { min: MIN_FILE_BYTES, max: Number.MAX_SAFE_INTEGER })
  const preallocateBytes =
    syncMode === 'none'
      ? 0
      : integerOption('preallocateBytes', opts.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES, { min: 0, max: MAX_PREALLOCATE_BYTES })
  const maxQueuedOperations = integerOption('maxQueuedOperations', opts.maxQueuedOperations ?? DEFAULT_MAX_QUEUED_OPERATIONS, {
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  })
  const maxQueuedBytes = integerOption('maxQueuedBytes', opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES, { min: 1, max: Number.MAX_SAFE_INTEGER })
  return { syncMode, mode, maxFileBytes, maxRecordBytes, maxBatchRecords, preallocateBytes, maxQueuedOperations, maxQueuedBytes }
}
