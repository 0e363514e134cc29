import type { ReplayOptions, WalOptions } from './types.js'

/**
 * Every key `Wal.open` knows. `satisfies` and the check below keep the list and `WalOptions` in
 * step: an option added to one and not the other fails to compile.
 */
export const WAL_OPTION_KEYS = [
  'fs',
  'sync',
  'segmentBytes',
  'recovery',
  'now',
  'minLastSeq',
  'maxQueuedOperations',
  'maxQueuedBytes',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof WalOptions)[]

/** Every key `Wal.replay` knows. */
export const REPLAY_OPTION_KEYS = ['fromSeq'] as const satisfies readonly (keyof ReplayOptions)[]

type Missing<T, K> = Exclude<keyof T, K>
const allWalKeys: Missing<WalOptions, (typeof WAL_OPTION_KEYS)[number]> extends never ? true : never = true
const allReplayKeys: Missing<ReplayOptions, (typeof REPLAY_OPTION_KEYS)[number]> extends never ? true : never = true
void allWalKeys
void allReplayKeys
