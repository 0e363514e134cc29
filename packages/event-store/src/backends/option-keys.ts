import { optionKeys } from '@quire/durable'
import type { NdjsonBackendOptions } from './ndjson.js'
import type { RecordKeeperBackendOptions } from './record-keeper.js'
import type { WalBackendOptions } from './wal.js'

/**
 * Every key each backend factory knows, checked against its options type at compile time (a key
 * missing from a list, or one the type lacks, fails to compile) and against the caller's object
 * at run time (`INVALID_ARGUMENT` naming an unknown key; the event store's
 * `InvalidArgumentError` is the shared class the validators throw by default).
 */
export const WAL_BACKEND_OPTION_KEYS = optionKeys<WalBackendOptions>()(
  ['fs', 'sync', 'segmentBytes', 'recovery', 'now', 'createIfMissing', 'errorIfExists', 'readOnly'] as const,
  'walBackend'
)

export const NDJSON_BACKEND_OPTION_KEYS = optionKeys<NdjsonBackendOptions>()(
  ['fs', 'sync', 'recovery', 'maxFileBytes', 'now', 'createIfMissing', 'errorIfExists', 'readOnly'] as const,
  'ndjsonBackend'
)

export const RECORD_KEEPER_BACKEND_OPTION_KEYS = optionKeys<RecordKeeperBackendOptions>()(
  ['fs', 'maxCommitBytes', 'now', 'createIfMissing', 'errorIfExists', 'readOnly'] as const,
  'recordKeeperBackend'
)
