// The declarations use AsyncDisposable and Symbol.asyncDispose: this pulls TypeScript's
// esnext.disposable lib into a user's compilation, whatever its `lib` (TypeScript >= 5.2).
/// <reference lib="esnext.disposable" preserve="true" />
export { SnapshotStore } from './store.js'
export type { LoadOptions, SaveInput, SnapshotStoreOptions } from './options.js'
export type { Snapshot } from './load.js'
export type { CorruptionReport, UnsupportedReport } from './file-reports.js'
export type { CodecOption, StateCodec } from './state-codec.js'
export { SnapshotError, InvalidArgumentError, ClosedError, SnapshotCorruptError, PoisonedError, UnsupportedVersionError, OverloadedError, WriteFailedError } from './errors.js'
export { LockedError, PathKindError, ReadOnlyError, StoreExistsError, StoreNotFoundError } from '@quire/vfs'
export { MAX_KEY_BYTES, DEFAULT_MAX_STATE_BYTES, DEFAULT_KEEP, MAX_KEEP, MAX_SCHEMA_VERSION, DEFAULT_MAX_QUEUED_OPERATIONS, DEFAULT_MAX_QUEUED_BYTES } from './limits.js'
