import { functionOption, integerOption, optionKeys } from '@quire/durable'
import type { FileSystem, OpenModeOptions } from '@quire/vfs'
import { InvalidArgumentError } from './errors.js'
import type { CorruptionReport, UnsupportedReport } from './file-reports.js'
import {
  DEFAULT_CACHED_KEYS,
  DEFAULT_KEEP,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_OPERATIONS,
  DEFAULT_MAX_STATE_BYTES,
  MAX_CACHED_KEYS,
  MAX_KEEP,
  MAX_SCHEMA_VERSION,
  MAX_STATE_BYTES_LIMIT,
} from './limits.js'
import { resolveCodec } from './state-codec.js'
import type { CodecOption, ResolvedCodec } from './state-codec.js'

/**
 * Options of `SnapshotStore.open`. Unknown keys are refused (`INVALID_ARGUMENT` naming the key).
 *
 * Open modes (`OpenModeOptions` of `@quire/vfs`): `createIfMissing` (default `true`: a store is created when
 * nothing, or an empty directory, is at the path; `false`: `NOT_FOUND` instead), `errorIfExists`
 * (default `false`: `EXISTS` when the directory holds anything), `readOnly` (default `false`: with
 * `true`, no lock is taken and nothing is written, not even the removal of temp files an
 * interrupted save left; `load` and `keys` work, `save` and `delete` reject with `READ_ONLY`;
 * works on a read-only copy and next to a live writer).
 */
export interface SnapshotStoreOptions extends OpenModeOptions {
  /** The file system to write through (default: the real one, `new NodeFileSystem()`). */
  readonly fs?: FileSystem
  /**
   * How states become bytes: `msgpackCodec` (default), `jsonCodec`, your own `{ encode, decode }`,
   * or `'raw'`: the state must be a `Uint8Array`, written as is and returned as is.
   */
  readonly codec?: CodecOption
  /** Older snapshots retained per key besides the newest (default 2, 0 to 1000). */
  readonly keep?: number
  /** Largest encoded state written or read, in bytes (default 1 GiB, at most 4 GiB − 1). */
  readonly maxStateBytes?: number
  /**
   * How many keys' directory listings are kept in memory (default 4096); idle keys beyond it are
   * forgotten, least recently used first, and listed again when next used.
   */
  readonly cachedKeys?: number
  /**
   * Called for every damaged or unreadable snapshot file `load` (or pruning) skips. If it throws,
   * the `load` rejects with that error.
   */
  readonly onCorrupt?: (report: CorruptionReport) => void
  /**
   * Called once per file (per open store) for a snapshot file of a format version newer than this
   * release reads. Such a file is left alone: never loaded, pruned, moved or deleted, and never
   * reported as corrupt. If it throws, the `load` (or the pruning) that found it rejects.
   */
  readonly onUnsupported?: (report: UnsupportedReport) => void
  /**
   * Most saves, deletes and loads accepted and not yet settled, all keys together (default 65 536,
   * `DEFAULT_MAX_QUEUED_OPERATIONS`). One more rejects at once with `OverloadedError`
   * (`OVERLOADED`), nothing written: memory stays bounded when callers outrun the disk.
   */
  readonly maxQueuedOperations?: number
  /**
   * Encoded bytes of saves accepted and not yet settled at which the next operation rejects at once
   * with `OverloadedError` (default 64 MiB, `DEFAULT_MAX_QUEUED_BYTES`): at most this plus one save
   * (up to `maxStateBytes`) wait.
   */
  readonly maxQueuedBytes?: number
}

/** What `save` writes. */
export interface SaveInput {
  /** How far into the history this state reflects: a safe integer ≥ 0. */
  readonly position: number
  /** The state (a `Uint8Array` with codec `'raw'`; don't change that array until `save` resolves). */
  readonly state: unknown
  /** The shape of the state, an integer 0 to 2^32 − 1 (default 1). */
  readonly schemaVersion?: number
}

/** Options of `SnapshotStore.load`. Unknown keys are refused (`INVALID_ARGUMENT`). */
export interface LoadOptions {
  /** Only snapshots at or below this position (e.g. what the log still holds). */
  readonly maxPosition?: number
  /**
   * The schema version the caller can read. Snapshots with another version are skipped, except
   * older ones when `upgrade` is given. Without it, any version is returned.
   */
  readonly schemaVersion?: number
  /**
   * Turns the state of an older schema version into the requested one (may be async). If it
   * throws, `load` rejects with that error.
   */
  readonly upgrade?: (state: unknown, fromSchemaVersion: number) => unknown
}

/** {@link SnapshotStoreOptions} checked, with their defaults filled in. */
export interface ResolvedOptions {
  readonly codec: ResolvedCodec
  readonly keep: number
  readonly cachedKeys: number
  readonly maxStateBytes: number
  readonly onCorrupt: ((report: CorruptionReport) => void) | undefined
  readonly onUnsupported: ((report: UnsupportedReport) => void) | undefined
  readonly maxQueuedOperations: number
  readonly maxQueuedBytes: number
}

/** The error of a bad argument, for the option checks of `@quire/vfs`. */
export const invalid = (message: string): InvalidArgumentError => new InvalidArgumentError(message)

/**
 * Every key `SnapshotStore.open` knows: a key of {@link SnapshotStoreOptions} left out of the
 * list, or one it does not have, fails to compile; `check` refuses unknown keys at run time.
 */
export const OPEN_OPTION_KEYS = optionKeys<SnapshotStoreOptions>()(
  ['fs', 'codec', 'keep', 'maxStateBytes', 'cachedKeys', 'onCorrupt', 'onUnsupported', 'maxQueuedOperations', 'maxQueuedBytes', 'createIfMissing', 'errorIfExists', 'readOnly'] as const,
  'SnapshotStore.open',
  invalid,
)

/** Every key of `save`'s input. */
export const SAVE_INPUT_KEYS = optionKeys<SaveInput>()(['position', 'state', 'schemaVersion'] as const, 'SnapshotStore.save', invalid)

/** Every key `load` knows. */
export const LOAD_OPTION_KEYS = optionKeys<LoadOptions>()(['maxPosition', 'schemaVersion', 'upgrade'] as const, 'SnapshotStore.load', invalid)

const ANY_SAFE_INTEGER = { min: 1, max: Number.MAX_SAFE_INTEGER }

/** An optional hook: `undefined`, or a function (`INVALID_ARGUMENT` otherwise). */
function hookOption<F extends (...args: never[]) => unknown>(name: string, value: unknown): F | undefined {
  return value === undefined ? undefined : functionOption<F>(name, value, undefined, invalid)
}

/** Checks `SnapshotStore.open`'s options (`INVALID_ARGUMENT` for a bad one) and fills in defaults. */
export function resolveOptions(options: SnapshotStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object')
  const keep = integerOption('keep', options.keep, { min: 0, max: MAX_KEEP }, DEFAULT_KEEP, invalid)
  const maxStateBytes = integerOption('maxStateBytes', options.maxStateBytes, { min: 0, max: MAX_STATE_BYTES_LIMIT }, DEFAULT_MAX_STATE_BYTES, invalid)
  const cachedKeys = integerOption('cachedKeys', options.cachedKeys, { min: 1, max: MAX_CACHED_KEYS }, DEFAULT_CACHED_KEYS, invalid)
  const onCorrupt = hookOption<(report: CorruptionReport) => void>('onCorrupt', options.onCorrupt)
  const onUnsupported = hookOption<(report: UnsupportedReport) => void>('onUnsupported', options.onUnsupported)
  if (options.fs !== undefined && (typeof options.fs !== 'object' || options.fs === null)) {
    throw new InvalidArgumentError('fs must be a FileSystem')
  }
  const maxQueuedOperations = integerOption('maxQueuedOperations', options.maxQueuedOperations, ANY_SAFE_INTEGER, DEFAULT_MAX_QUEUED_OPERATIONS, invalid)
  const maxQueuedBytes = integerOption('maxQueuedBytes', options.maxQueuedBytes, ANY_SAFE_INTEGER, DEFAULT_MAX_QUEUED_BYTES, invalid)
  return { codec: resolveCodec(options.codec), keep, cachedKeys, maxStateBytes, onCorrupt, onUnsupported, maxQueuedOperations, maxQueuedBytes }
}

/** A position (`name` in messages): a safe integer ≥ 0. */
export function checkPosition(value: unknown, name: string): number {
  return integerOption(name, value, { min: 0, max: Number.MAX_SAFE_INTEGER }, undefined, invalid)
}

/** A schema version: an integer 0 to {@link MAX_SCHEMA_VERSION}. */
export function checkSchemaVersion(value: unknown): number {
  return integerOption('schemaVersion', value, { min: 0, max: MAX_SCHEMA_VERSION }, undefined, invalid)
}
