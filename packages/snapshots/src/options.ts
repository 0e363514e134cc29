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

/** Checks `SnapshotStore.open`'s options (`INVALID_ARGUMENT` for a bad one) and fills in defaults. */
export function resolveOptions(options: SnapshotStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object')
  const keep = options.keep ?? DEFAULT_KEEP
  if (!Number.isInteger(keep) || keep < 0 || keep > MAX_KEEP) {
    throw new InvalidArgumentError(`keep must be an integer from 0 to ${MAX_KEEP}`)
  }
  const maxStateBytes = options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES
  if (!Number.isInteger(maxStateBytes) || maxStateBytes < 0 || maxStateBytes > MAX_STATE_BYTES_LIMIT) {
    throw new InvalidArgumentError(`maxStateBytes must be an integer from 0 to ${MAX_STATE_BYTES_LIMIT}`)
  }
  const cachedKeys = options.cachedKeys ?? DEFAULT_CACHED_KEYS
  if (!Number.isInteger(cachedKeys) || cachedKeys < 1 || cachedKeys > MAX_CACHED_KEYS) {
    throw new InvalidArgumentError(`cachedKeys must be an integer from 1 to ${MAX_CACHED_KEYS}`)
  }
  const onCorrupt = options.onCorrupt
  if (onCorrupt !== undefined && typeof onCorrupt !== 'function') throw new InvalidArgumentError('onCorrupt must be a function')
  const onUnsupported = options.onUnsupported
  if (onUnsupported !== undefined && typeof onUnsupported !== 'function') throw new InvalidArgumentError('onUnsupported must be a function')
  if (options.fs !== undefined && (typeof options.fs !== 'object' || options.fs === null)) {
    throw new InvalidArgumentError('fs must be a FileSystem')
  }
  const maxQueuedOperations = options.maxQueuedOperations ?? DEFAULT_MAX_QUEUED_OPERATIONS
  if (!Number.isSafeInteger(maxQueuedOperations) || maxQueuedOperations < 1) {
    throw new InvalidArgumentError('maxQueuedOperations must be a safe integer ≥ 1')
  }
  const maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES
  if (!Number.isSafeInteger(maxQueuedBytes) || maxQueuedBytes < 1) throw new InvalidArgumentError('maxQueuedBytes must be a safe integer ≥ 1')
  return { codec: resolveCodec(options.codec), keep, cachedKeys, maxStateBytes, onCorrupt, onUnsupported, maxQueuedOperations, maxQueuedBytes }
}

/** A position (`name` in messages): a safe integer ≥ 0. */
export function checkPosition(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a safe integer ≥ 0`)
  }
  return value
}

/** A schema version: an integer 0 to {@link MAX_SCHEMA_VERSION}. */
export function checkSchemaVersion(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SCHEMA_VERSION) {
    throw new InvalidArgumentError(`schemaVersion must be an integer from 0 to ${MAX_SCHEMA_VERSION}`)
  }
  return value
}
