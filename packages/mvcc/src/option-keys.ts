import { optionKeys } from '@quire/durable'
import type { ScanOptions } from './keys.js'
import type { TransactionOptions } from './retry.js'
import type { MvccStoreOptions } from './store.js'

// The option keys each call knows, checked against its options type at compile time (a key
// added to one and not the other fails to compile) and against the caller's object at run time:
// an unknown key is INVALID_ARGUMENT naming it, never silently ignored. Each list's set is built
// once (begin and transaction run once per transaction).

/** Every key `MvccStore.open` knows. */
export const STORE_OPTION_KEYS = optionKeys<MvccStoreOptions>()(
  ['fs', 'isolation', 'sync', 'txTimeoutMs', 'segmentBytes', 'now', 'maxQueuedOperations', 'maxQueuedBytes', 'createIfMissing', 'errorIfExists', 'readOnly'] as const,
  'MvccStore.open',
)

/** Every key of `begin`. */
export const BEGIN_OPTION_KEYS = optionKeys<{ readonly readOnly?: boolean }>()(['readOnly'] as const, 'MvccStore.begin')

/** Every key of `transaction`'s options. */
export const TRANSACTION_OPTION_KEYS = optionKeys<TransactionOptions>()(['retries', 'readOnly'] as const, 'MvccStore.transaction')

/** Every key of `scan`. */
export const SCAN_OPTION_KEYS = optionKeys<ScanOptions>()(['prefix', 'gte', 'lt', 'reverse', 'limit'] as const, 'Transaction.scan')
