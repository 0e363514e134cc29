import { Poison, StoreState } from '@quire/durable'
import { StorePoisonedError } from '../errors.js'

/**
 * The open/closed/poisoned state every embedded commit log keeps in front of its log: the shared
 * `StoreState` of `@quire/durable` (close once, `CLOSED` after it) with one `Poison` that builds
 * this package's `StorePoisonedError` and keeps the first cause. Once an append comes back with
 * an outcome this process cannot vouch for (a failed sync, a failed rollback), the log poisons
 * it: the append that hit it reports `APPEND_FAILED` (outcome unknown), and every append issued
 * after it is refused with `POISONED` (cause: that first failure) until the store is reopened,
 * whatever the log below would say. Reads stay allowed while poisoned (`assertOpen`).
 *
 * @param closeLog - closes the log below (it waits for its appends in flight); runs once.
 * @param onClose - runs after it, even when it failed (releases the store lock).
 */
export function commitLogState(closeLog: () => Promise<void>, onClose: () => Promise<void>): StoreState {
  return new StoreState({
    onClose: async () => {
      try {
        await closeLog()
      } finally {
        await onClose()
      }
    },
    poison: new Poison((cause) => new StorePoisonedError(cause)),
  })
}

/** A caught value as an `Error` (to reject a promise with). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
