// The declarations use AsyncDisposable and Symbol.asyncDispose: this pulls TypeScript's
// esnext.disposable lib into a user's compilation, whatever its `lib` (TypeScript >= 5.2).
/// <reference lib="esnext.disposable" preserve="true" />
export { Wal } from './wal.js'
export {
  WalError,
  WalCorruptError,
  WalClosedError,
  WalPoisonedError,
  WalWriteError,
  WalUnsupportedVersionError,
  WalOverloadedError,
  InvalidArgumentError,
} from './errors.js'
export { LockedError, PathKindError, ReadOnlyError, StoreExistsError, StoreNotFoundError } from '@quire/vfs'
export {
  WAL_MAX_KEY_BYTES,
  WAL_MAX_VALUE_BYTES,
  WAL_MAX_BATCH_ENTRIES,
  WAL_MAX_BATCH_BYTES,
  WAL_DEFAULT_SEGMENT_BYTES,
  WAL_MIN_SEGMENT_BYTES,
  WAL_MAX_SEGMENT_BYTES,
  WAL_MAX_FRAME_BYTES,
  WAL_DEFAULT_MAX_QUEUED_OPERATIONS,
  WAL_DEFAULT_MAX_QUEUED_BYTES,
} from './limits.js'
export type {
  WalOp,
  WalEntry,
  WalOptions,
  WalRecoveryMode,
  ReplayOptions,
  RecoveryReport,
  RecoveryAction,
} from './types.js'
