// The declarations use AsyncDisposable and Symbol.asyncDispose: this pulls TypeScript's
// esnext.disposable lib into a user's compilation, whatever its `lib` (TypeScript >= 5.2).
/// <reference lib="esnext.disposable" preserve="true" />
export { EventStore, type EventStoreOpenOptions, type AppendOptions, type ReadStreamOptions, type ReadAllOptions } from './event-store.js'
export { walBackend, type WalBackendOptions } from './backends/wal.js'
export { ndjsonBackend, type NdjsonBackendOptions } from './backends/ndjson.js'
export { recordKeeperBackend, type RecordKeeperBackendOptions } from './backends/record-keeper.js'
export { memoryBackend, type MemoryBackend, type MemoryBackendOptions, type InjectedFailure } from './backends/memory.js'
export type { Subscription, SubscriptionPosition, SubscriptionListener } from './subscriptions/subscription.js'
export type { SubscribeToAllOptions, SubscribeToStreamOptions } from './subscriptions/hub.js'
export type { DurableSubscription, DurableSubscribeOptions, DurableHandler } from './subscriptions/durable.js'
export type { EveryPolicy } from './subscriptions/options.js'
export { defineProjection, type Projection, type PersistPolicy } from './projections/definition.js'
export type { ProjectionHandle } from './projections/handle.js'
export type { ProjectOptions } from './projections/host.js'
export type { AggregateStreamOptions, AggregateStreamResult, AggregateSnapshotOptions } from './aggregate/aggregate-stream.js'
export {
  CommandHandler,
  type CommandHandlerOptions,
  type CommandResult,
  type CommandStore,
  type DecidedEvent,
  type DecideResult,
  type HandleCommand,
} from './command-handler.js'
export { LocalDriver, type LocalDriverOptions } from './local/local-driver.js'
export type { SideStore } from './local/side-store.js'
export type { AbortSignalLike } from './abort-signal.js'
export type { CommitLog, CommitRecord, LoggedCommit, StoredEvent } from './commit-log.js'
export type {
  CommandOutcome,
  DriverAppendOutcome,
  DriverAppendRequest,
  DriverFilter,
  EventStoreBackend,
  EventStoreDriver,
  ProposedEvent,
  StoredSnapshot,
  StreamCommand,
  StreamInfo,
} from './driver.js'
export {
  EventStoreError,
  WrongExpectedVersionError,
  StreamNotFoundError,
  StreamDeletedError,
  DuplicateEventIdError,
  InvalidArgumentError,
  AppendTooLargeError,
  AppendFailedError,
  StorePoisonedError,
  CheckpointMismatchError,
  SubscriptionDroppedError,
  EventStoreCorruptError,
  ClosedError,
  UnsupportedError,
  OverloadedError,
  ReadOnlyError,
  type ActualRevision,
} from './errors.js'
export { LockedError, PathKindError, StoreExistsError, StoreNotFoundError } from '@quire/vfs'
export {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  START,
  END,
  FORWARDS,
  BACKWARDS,
  type JsonValue,
  type EventData,
  type RecordedEvent,
  type ExpectedRevision,
  type Direction,
  type AppendResult,
  type AppendRequest,
  type MultiAppendResult,
  type StreamState,
  type StreamMetadata,
  type AllFilter,
  type Checkpoint,
} from './types.js'
export {
  MAX_STREAM_NAME_BYTES,
  MAX_EVENT_TYPE_BYTES,
  MAX_APPEND_EVENTS,
  MAX_APPEND_STREAMS,
  MAX_EVENT_BYTES,
  MAX_APPEND_BYTES,
  MAX_METADATA_BYTES,
  MAX_STREAM_METADATA_BYTES,
  MAX_FILTER_PREFIXES,
  MAX_SUBSCRIPTION_ID_BYTES,
  DEFAULT_MAX_QUEUED_OPERATIONS,
  DEFAULT_MAX_QUEUED_BYTES,
} from './limits.js'
export {
  SUBSCRIPTION_PAGE_EVENTS,
  INLINE_PROJECTION_DEFAULT_PERSIST_EVENTS,
  AGGREGATE_SNAPSHOT_CACHE_ENTRIES,
  DEFAULT_COMMAND_RETRIES,
  MAX_COMMAND_RETRIES,
  MAX_EVERY_EVENTS,
  MAX_EVERY_MS,
  MAX_SNAPSHOT_EVERY,
  MAX_SCHEMA_VERSION,
} from './subscriptions/limits.js'
