// The declarations use AsyncDisposable and Symbol.asyncDispose: this pulls TypeScript's
// esnext.disposable lib into a user's compilation, whatever its `lib` (TypeScript >= 5.2).
/// <reference lib="esnext.disposable" preserve="true" />
export { MvccStore } from './store.js'
export type { MvccStoreOptions, CheckpointResult, MvccStats } from './store.js'
export { Transaction } from './transaction.js'
export type { IsolationLevel } from './engine.js'
export type { ScanOptions } from './keys.js'
export { compareKeys } from './keys.js'
export type { TransactionOptions } from './retry.js'
export {
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  MAX_TX_WRITES,
  DEFAULT_TX_TIMEOUT_MS,
  DEFAULT_MAX_QUEUED_COMMITS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_RETRIES,
} from './limits.js'
export {
  MvccError,
  ConflictError,
  TransactionClosedError,
  TransactionTimeoutError,
  ReadOnlyError,
  InvalidArgumentError,
  ClosedError,
  CommitFailedError,
  MvccCorruptError,
  UnsupportedVersionError,
  OverloadedError,
} from './errors.js'
export { LockedError, PathKindError, StoreExistsError, StoreNotFoundError } from '@quire/vfs'
