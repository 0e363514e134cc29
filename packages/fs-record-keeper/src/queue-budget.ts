import { integerOption } from '@quire/durable'
import type { StoreErrorClass } from './errors.js'
import type { OverloadDetails } from '@quire/errors'

/** The bounds on what may wait in memory for the disk (options `maxQueued*`). */
export interface QueueLimits {
  readonly maxQueuedOperations: number
  readonly maxQueuedBytes: number
}

/** Reads and checks the `maxQueued*` options (`INVALID_ARGUMENT` for a bad one). */
export function queueLimits(
  options: { readonly maxQueuedOperations?: number; readonly maxQueuedBytes?: number },
  defaults: QueueLimits,
  ErrorClass: StoreErrorClass,
): QueueLimits {
  const invalid = (message: string): Error => new ErrorClass('INVALID_ARGUMENT', message)
  const range = { min: 1, max: Number.MAX_SAFE_INTEGER }
  const maxQueuedOperations = integerOption('maxQueuedOperations', options.maxQueuedOperations, range, defaults.maxQueuedOperations, invalid)
  const maxQueuedBytes = integerOption('maxQueuedBytes', options.maxQueuedBytes, range, defaults.maxQueuedBytes, invalid)
  return { maxQueuedOperations, maxQueuedBytes }
}

/**
 * Counts operations accepted and not yet settled (and their bytes) against {@link QueueLimits}:
 * one more over a bound is refused with `OVERLOADED` at once, so that memory stays bounded when
 * callers outrun the disk. Refused once `maxQueuedBytes` wait, whatever the new operation's size:
 * at most `maxQueuedBytes` plus one operation wait, and the check costs nothing per byte.
 */
export class QueueBudget {
  #operations = 0
  #bytes = 0

  readonly #limits: QueueLimits
  readonly #ErrorClass: StoreErrorClass
  readonly #what: string

  constructor(limits: QueueLimits, ErrorClass: StoreErrorClass, what: string) {
    this.#limits = limits
    this.#ErrorClass = ErrorClass
    this.#what = what
  }

  /** Takes room for one operation of `bytes`, or throws `OVERLOADED` (nothing taken). */
  admit(bytes: number): void {
    const { maxQueuedOperations, maxQueuedBytes } = this.#limits
    const over =
      this.#operations >= maxQueuedOperations
        ? `maxQueuedOperations is ${maxQueuedOperations}`
        : this.#bytes >= maxQueuedBytes
          ? `maxQueuedBytes is ${maxQueuedBytes}`
          : undefined
    if (over !== undefined) {
      throw new this.#ErrorClass(
        'OVERLOADED',
        `${this.#what} overloaded: ${this.#operations} operations (${this.#bytes} bytes) wait for the disk and ${over}; nothing was written, retry once some have resolved`,
        { overload: overloadDetails(this.#limits, this.#operations, this.#bytes) },
      )
    }
    this.#operations++
    this.#bytes += bytes
  }

  /** Gives back the room of one settled operation of `bytes`. */
  release(bytes: number): void {
    this.#operations--
    this.#bytes -= bytes
  }

  /** Runs `work` with room for one operation of `bytes` (throws `OVERLOADED` before it starts). */
  async run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    this.admit(bytes)
    try {
      return await work()
    } finally {
      this.release(bytes)
    }
  }
}

/** The bound an `OVERLOADED` refusal met, and what was waiting (the error's structured fields). */
function overloadDetails(limits: QueueLimits, operations: number, bytes: number): OverloadDetails {
  const limit = operations >= limits.maxQueuedOperations ? 'maxQueuedOperations' : 'maxQueuedBytes'
  return { limit, max: limits[limit], queuedOperations: operations, queuedBytes: bytes }
}
