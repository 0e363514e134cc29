import type { LoadOptions, SaveInput, SnapshotStoreOptions } from './options.js'

/**
 * Every key `SnapshotStore.open` knows. `satisfies` and the checks below keep the lists and the
 * option types in step: an option added to one and not the other fails to compile.
 */
export const OPEN_OPTION_KEYS = [
  'fs',
  'codec',
  'keep',
  'maxStateBytes',
  'cachedKeys',
  'onCorrupt',
  'onUnsupported',
  'maxQueuedOperations',
  'maxQueuedBytes',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof SnapshotStoreOptions)[]

/** Every key of `save`'s input. */
export const SAVE_INPUT_KEYS = ['position', 'state', 'schemaVersion'] as const satisfies readonly (keyof SaveInput)[]

/** Every key `load` knows. */
export const LOAD_OPTION_KEYS = ['maxPosition', 'schemaVersion', 'upgrade'] as const satisfies readonly (keyof LoadOptions)[]

const allOpenKeys: Exclude<keyof SnapshotStoreOptions, (typeof OPEN_OPTION_KEYS)[number]> extends never ? true : never = true
const allSaveKeys: Exclude<keyof SaveInput, (typeof SAVE_INPUT_KEYS)[number]> extends never ? true : never = true
const allLoadKeys: Exclude<keyof LoadOptions, (typeof LOAD_OPTION_KEYS)[number]> extends never ? true : never = true
void allOpenKeys
void allSaveKeys
void allLoadKeys
