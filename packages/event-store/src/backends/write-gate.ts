import { ClosedError, StorePoisonedError } from '../errors.js'

/**
 * The open/closed/poisoned state every embedded commit log keeps in front of its log. Once an
 * append comes back with an outcome this process cannot vouch for (a failed sync, a failed
 * rollback), the gate is poisoned: the append that hit it reports `APPEND_FAILED` (outcome
 * unknown), and every append issued after it is refused with `POISONED` until the store is
 * reopened, whatever the log below would say.
 */
export class WriteGate {
  #closed = false
  #poisoned = false
  #poisonCause: unknown = undefined

  get closed(): boolean {
    return this.#closed
  }

  get poisoned(): boolean {
    return this.#poisoned
  }

  /** Throws `ClosedError` or `StorePoisonedError` when no append may start. */
  check(): void {
    if (this.#closed) throw new ClosedError()
    if (this.#poisoned) throw new StorePoisonedError(this.#poisonCause)
  }

  /** Throws `ClosedError` once closed (reads stay allowed while poisoned). */
  checkOpen(): void {
    if (this.#closed) throw new ClosedError()
  }

  poison(cause: unknown): void {
    if (this.#poisoned) return
    this.#poisoned = true
    this.#poisonCause = cause
  }

  close(): void {
    this.#closed = true
  }
}

/** A caught value as an `Error` (to reject a promise with). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
