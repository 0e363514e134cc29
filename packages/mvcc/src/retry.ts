import { ConflictError, InvalidArgumentError } from './errors.js'
import { DEFAULT_RETRIES, MAX_BACKOFF_MS } from './limits.js'
import type { Transaction } from './transaction.js'

/** Options of `MvccStore.transaction`. */
export interface TransactionOptions {
  /** How many times to retry after a `ConflictError` (default `DEFAULT_RETRIES`). */
  readonly retries?: number
  readonly readOnly?: boolean
}


/** The options of a call made without any (shared: no object per call). */
const NO_OPTIONS: TransactionOptions = Object.freeze({})

/**
 * Runs `fn` in a fresh transaction and commits it, retrying from scratch (a new snapshot) on
 * `ConflictError` with randomized exponential backoff. Any other error aborts and is rethrown.
 */
export async function runTransaction<T>(
  begin: (readOnly: boolean) => Transaction,
  fn: (tx: Transaction) => Promise<T>,
  options: TransactionOptions = NO_OPTIONS,
): Promise<T> {
  const retries = options.retries ?? DEFAULT_RETRIES
  if (!Number.isSafeInteger(retries) || retries < 0) throw new InvalidArgumentError('retries must be a non-negative integer')
  if (typeof fn !== 'function') throw new InvalidArgumentError('transaction body must be a function')
  for (let attempt = 0; ; attempt++) {
    const tx = begin(options.readOnly ?? false)
    try {
      const result = await fn(tx)
      // A transaction the store ended (timeout, close) is committed anyway, so that commit()
      // rejects with TX_TIMEOUT or CLOSED instead of the body's result pretending it was saved.
      if (tx.isOpen || tx.endedByStore) await tx.commit()
      return result
    } catch (error) {
      if (tx.isOpen) await tx.abort()
      if (!(error instanceof ConflictError) || attempt >= retries) throw error
      // Full jitter: contenders spread out instead of colliding again in lockstep.
      const ceilingMs = Math.min(MAX_BACKOFF_MS, 2 ** attempt)
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs))
    }
  }
}
