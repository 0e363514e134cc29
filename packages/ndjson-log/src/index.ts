// The declarations use AsyncDisposable and Symbol.asyncDispose: this pulls TypeScript's
// esnext.disposable lib into a user's compilation, whatever its `lib` (TypeScript >= 5.2).
/// <reference lib="esnext.disposable" preserve="true" />
export { NdjsonLog } from './ndjson-log.js'
export type { LogEntry, LogRecord } from './log-entry.js'
export type { NdjsonLogOptions, ReadOptions, SyncMode } from './options.js'
export type { RecoveryMode } from '@quire/durable'
export type { DamagedLine, RecoveryReport } from './recovery-report.js'
export {
  ClosedError,
  InvalidArgumentError,
  InvalidRecordError,
  NdjsonCorruptError,
  NdjsonLogError,
  NotNdjsonLogError,
  OverloadedError,
  PoisonedError,
  UnsupportedVersionError,
  WriteFailedError,
} from './errors.js'
export { LockedError, PathKindError, ReadOnlyError, StoreExistsError, StoreNotFoundError } from '@quire/vfs'
export { FORMAT_MAGIC, FORMAT_VERSION } from './format-version.js'
export {
  DEFAULT_MAX_BATCH_RECORDS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_OPERATIONS,
  DEFAULT_MAX_RECORD_BYTES,
  MAX_LINE_BYTES,
  MAX_RECORD_BYTES_LIMIT,
} from './limits.js'
