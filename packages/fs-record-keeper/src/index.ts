// The declarations use AsyncDisposable and Symbol.asyncDispose: this pulls TypeScript's
// esnext.disposable lib into a user's compilation, whatever its `lib` (TypeScript >= 5.2).
/// <reference lib="esnext.disposable" preserve="true" />
export { RecordKeeper } from './record-keeper.js'
export type { RecordKeeperEvent, RecordKeeperOptions } from './record-keeper.js'
export type { RecoveryReport } from './recovery.js'
export type { RecordKeeperReport } from './verify.js'
export { Depot } from './depot.js'
export type { DepotOptions } from './depot.js'
export type { DepotReport } from './depot-verify.js'
export { ObjectState } from './object-state.js'
export { FsStoreError, RecordKeeperError, DepotError } from './errors.js'
export type { FsStoreErrorOptions, StoreErrorCode } from './errors.js'
export { LockedError, PathKindError, ReadOnlyError, StoreExistsError, StoreNotFoundError } from '@quire/vfs'
export { UUID_PATTERN } from './ids.js'
export {
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_OPERATIONS,
  DEFAULT_MAX_OBJECT_BYTES,
  DEPOT_BLOCK_BYTES,
  MAX_GROUP_EVENTS,
  MAX_IO_BYTES,
} from './limits.js'
