import type { NdjsonLogOptions, ReadOptions } from './options.js'

/**
 * Every key `NdjsonLog.open` knows. `satisfies` and the check below keep the list and
 * `NdjsonLogOptions` in step: an option added to one and not the other fails to compile.
 */
export const OPEN_OPTION_KEYS = [
  'fs',
  'sync',
  'recovery',
  'maxFileBytes',
  'maxRecordBytes',
  'maxBatchRecords',
  'preallocateBytes',
  'maxQueuedOperations',
  'maxQueuedBytes',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof NdjsonLogOptions)[]

/** Every key `read` knows. */
export const READ_OPTION_KEYS = ['fromSeq'] as const satisfies readonly (keyof ReadOptions)[]

const allOpenKeys: Exclude<keyof NdjsonLogOptions, (typeof OPEN_OPTION_KEYS)[number]> extends never ? true : never = true
const allReadKeys: Exclude<keyof ReadOptions, (typeof READ_OPTION_KEYS)[number]> extends never ? true : never = true
void allOpenKeys
void allReadKeys
