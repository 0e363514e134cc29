import { RECOVERY_MODES, functionOption, integerOption, oneOfOption, optionKeys } from '@quire/durable'
import { NodeFileSystem } from '@quire/vfs'
import { InvalidArgumentError } from './errors.js'
import {
  WAL_DEFAULT_MAX_QUEUED_BYTES,
  WAL_DEFAULT_MAX_QUEUED_OPERATIONS,
  WAL_DEFAULT_SEGMENT_BYTES,
  WAL_MAX_SEGMENT_BYTES,
  WAL_MIN_SEGMENT_BYTES,
} from './limits.js'
import type { ReplayOptions, WalEntry, WalOptions, WalRecoveryMode } from './types.js'

/** Every key `Wal.open` knows (a key of `WalOptions` missing here fails to compile). */
export const OPEN_KEYS = optionKeys<WalOptions>()(
  ['fs', 'sync', 'segmentBytes', 'recovery', 'now', 'minLastSeq', 'maxQueuedOperations', 'maxQueuedBytes', 'createIfMissing', 'errorIfExists', 'readOnly', 'io', 'onRecover'],
  'Wal.open',
)

/** Every key `Wal.replay` knows. */
export const REPLAY_KEYS = optionKeys<ReplayOptions>()(['fromSeq'], 'Wal.replay')

/** `Wal.open`'s options, checked and defaulted. */
export interface ResolvedOptions {
  readonly syncAlways: boolean
  readonly segmentBytes: number
  readonly recovery: WalRecoveryMode
  readonly now: () => number
  readonly minLastSeq: number
  readonly maxQueuedOperations: number
  readonly maxQueuedBytes: number
  /** `io: 'inline'`: durable groups written synchronously on the calling thread. */
  readonly inline: boolean
  /** See `WalOptions.onRecover`. */
  readonly onRecover: ((entries: WalEntry[]) => void) | undefined
}

const ANY_SAFE = { min: 0, max: Number.MAX_SAFE_INTEGER }
const POSITIVE = { min: 1, max: Number.MAX_SAFE_INTEGER }

/** Checks and defaults `Wal.open`'s options (see {@link WalOptions}). Throws `InvalidArgumentError`. */
export function checkOptions(opts: WalOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('options must be an object')
  if (opts.fs !== undefined && (typeof opts.fs !== 'object' || opts.fs === null)) throw new InvalidArgumentError('fs must be a FileSystem')
  const syncAlways = oneOfOption('sync', opts.sync, ['always', 'none'], 'always') === 'always'
  const inline = oneOfOption('io', opts.io, ['async', 'inline'], 'async') === 'inline'
  if (inline && !syncAlways) throw new InvalidArgumentError("io 'inline' needs sync 'always' (it writes durable groups synchronously)")
  // The inline descriptor is opened with node:fs, beside the file system's handle: only the real one.
  if (inline && opts.fs !== undefined && !(opts.fs instanceof NodeFileSystem)) {
    throw new InvalidArgumentError("io 'inline' needs the real file system (no fs option, or a NodeFileSystem)")
  }
  return {
    syncAlways,
    inline,
    segmentBytes: integerOption('segmentBytes', opts.segmentBytes, { min: WAL_MIN_SEGMENT_BYTES, max: WAL_MAX_SEGMENT_BYTES }, WAL_DEFAULT_SEGMENT_BYTES),
    recovery: oneOfOption('recovery', opts.recovery, RECOVERY_MODES, 'strict'),
    now: functionOption<() => number>('now', opts.now, Date.now),
    minLastSeq: integerOption('minLastSeq', opts.minLastSeq, ANY_SAFE, 0),
    maxQueuedOperations: integerOption('maxQueuedOperations', opts.maxQueuedOperations, POSITIVE, WAL_DEFAULT_MAX_QUEUED_OPERATIONS),
    maxQueuedBytes: integerOption('maxQueuedBytes', opts.maxQueuedBytes, POSITIVE, WAL_DEFAULT_MAX_QUEUED_BYTES),
    onRecover: opts.onRecover === undefined ? undefined : functionOption<(entries: WalEntry[]) => void>('onRecover', opts.onRecover, undefined, (m) => new InvalidArgumentError(m)),
  }
}
