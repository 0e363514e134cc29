import type { ScanOptions } from './keys.js'
import type { TransactionOptions } from './retry.js'
import type { MvccStoreOptions } from './store.js'

/**
 * Every key `MvccStore.open` knows. `satisfies` and the checks below keep the lists and the
 * option types in step: an option added to one and not the other fails to compile.
 */
export const STORE_OPTION_KEYS = [
  'fs',
  'isolation',
  'sync',
  'txTimeoutMs',
  'segmentBytes',
  'now',
  'maxQueuedOperations',
  'maxQueuedBytes',
  'createIfMissing',
  'errorIfExists',
  'readOnly',
] as const satisfies readonly (keyof MvccStoreOptions)[]

/** Every key of `begin`. */
export const BEGIN_OPTION_KEYS = ['readOnly'] as const

/** Every key of `transaction`'s options. */
export const TRANSACTION_OPTION_KEYS = ['retries', 'readOnly'] as const satisfies readonly (keyof TransactionOptions)[]

/** Every key of `scan`. */
export const SCAN_OPTION_KEYS = ['prefix', 'gte', 'lt', 'reverse', 'limit'] as const satisfies readonly (keyof ScanOptions)[]

/**
 * The lists as sets, built once: `checkOptionKeys` would otherwise build a set on every call, and
 * `begin` and `transaction` are called once per transaction.
 */
export const BEGIN_OPTION_KEY_SET: ReadonlySet<string> = new Set(BEGIN_OPTION_KEYS)
export const TRANSACTION_OPTION_KEY_SET: ReadonlySet<string> = new Set(TRANSACTION_OPTION_KEYS)
export const SCAN_OPTION_KEY_SET: ReadonlySet<string> = new Set(SCAN_OPTION_KEYS)

const allStoreKeys: Exclude<keyof MvccStoreOptions, (typeof STORE_OPTION_KEYS)[number]> extends never ? true : never = true
const allTransactionKeys: Exclude<keyof TransactionOptions, (typeof TRANSACTION_OPTION_KEYS)[number]> extends never ? true : never = true
const allScanKeys: Exclude<keyof ScanOptions, (typeof SCAN_OPTION_KEYS)[number]> extends never ? true : never = true
void allStoreKeys
void allTransactionKeys
void allScanKeys
