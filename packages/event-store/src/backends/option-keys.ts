import type { NdjsonBackendOptions } from './ndjson.js'
import type { RecordKeeperBackendOptions } from './record-keeper.js'
import type { WalBackendOptions } from './wal.js'

/**
 * Every key each backend factory knows. `satisfies` and the checks below keep the lists and the
 * option types in step: an option added to one and not the other fails to compile.
 */
export const WAL_BACKEND_OPTION_KEYS = [
  'fs',
  'sync',
  'segmentBytes',
  'recovery',
  'now',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof WalBackendOptions)[]

export const NDJSON_BACKEND_OPTION_KEYS = [
  'fs',
  'sync',
  'recovery',
  'maxFileBytes',
  'now',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof NdjsonBackendOptions)[]

export const RECORD_KEEPER_BACKEND_OPTION_KEYS = [
  'fs',
  'maxCommitBytes',
  'now',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof RecordKeeperBackendOptions)[]

const allWal: Exclude<keyof WalBackendOptions, (typeof WAL_BACKEND_OPTION_KEYS)[number]> extends never ? true : never = true
const allNdjson: Exclude<keyof NdjsonBackendOptions, (typeof NDJSON_BACKEND_OPTION_KEYS)[number]> extends never ? true : never = true
const allRk: Exclude<keyof RecordKeeperBackendOptions, (typeof RECORD_KEEPER_BACKEND_OPTION_KEYS)[number]> extends never ? true : never = true
void allWal
void allNdjson
void allRk
