import { OverloadedError, type OverloadDetails } from '@quire/errors'
import { integerOption, type InvalidFactory } from './options.js'

/** The bounds on what may wait in memory for the disk (the stores' `maxQueued*` options). */
export interface QueueLimits {
  /** Operations accepted and not yet settled at which the next is refused (`OVERLOADED`). */
  readonly maxQueuedOperations: number
  /** Their bytes at which the next is refused: at most this plus one operation wait. */
  readonly maxQueuedBytes: number
}

/** Builds the refusal of an operation over a limit (a store's own `OVERLOADED` subclass, say). */
export type OverloadedFactory = (details: OverloadDetails) => Error

/**
 * Reads the `maxQueuedOperations` / `maxQueuedBytes` options: each a safe integer ≥ 1, or its
 * default when `undefined`; anything else throws `invalid(...)` (`INVALID_ARGUMENT`).
 */
export function queueLimitOptions(
  options: { readonly maxQueuedOperations?: number | undefined; readonly maxQueuedBytes?: number | undefined },
  defaults: QueueLimits,
  invalid?: InvalidFactory,
): QueueLimits {
  const range = { min: 1, max: Number.MAX_SAFE_INTEGER }
  return {
    maxQueuedOperations: integerOption('maxQueuedOperations', options.maxQueuedOperations, range, defaults.maxQueuedOperations, invalid),
    maxQueuedBytes: integerOption('maxQueuedBytes', options.maxQueuedBytes, range, defaults.maxQueuedBytes, invalid),
  }
}

/**
 * The admission counter every store's queue shares: operations accepted and not yet settled,
 * and their bytes, against {@link QueueLimits}. One more over a bound is refused at once with
 * `OVERLOADED` (nothing taken, nothing written), so memory stays bounded when callers outrun the
 * disk. The check is made against what already waits, whatever the new operation's size: at most
 * `maxQueuedBytes` plus one operation wait, an operation bigger than the limit still goes through
 * an idle store, and the check costs nothing per byte (it can run before the cost of encoding).
 *
 * Used by `GroupCommit` (the WAL, the NDJSON log, the record keeper's add queue), the
 * snapshot store's saves/loads/deletes and the depot's object operations.
 */
export class QueueBudget {
  readonly #limits: QueueLimits
  readonly #overloaded: OverloadedFactory
  #operations = 0
  #bytes = 0

  /** `overloaded` builds the refusal (default: `OverloadedError` of `@quire/errors`). */
  constructor(limits: QueueLimits, overloaded: OverloadedFactory = defaultOverloaded) {
    this.#limits = limits
    this.#overloaded = overloaded
  }

  /** Operations accepted and not yet settled, and their bytes. */
  get queued(): { readonly operations: number; readonly bytes: number } {
    return { operations: this.#operations, bytes: this.#bytes }
  }

  /** The refusal a new operation would get now, or `undefined` if one would be admitted (nothing taken). */
  refusal(): Error | undefined {
    const { maxQueuedOperations, maxQueuedBytes } = this.#limits
    if (this.#operations >= maxQueuedOperations) {
      return this.#overloaded({ limit: 'maxQueuedOperations', max: maxQueuedOperations, queuedOperations: this.#operations, queuedBytes: this.#bytes })
    }
    if (this.#bytes >= maxQueuedBytes) {
      return this.#overloaded({ limit: 'maxQueuedBytes', max: maxQueuedBytes, queuedOperations: this.#operations, queuedBytes: this.#bytes })
    }
    return undefined
  }

  /** Takes room for one operation of `bytes`, or returns the refusal (nothing taken). Pair with {@link release}. */
  admit(bytes: number): Error | undefined {
    const refused = this.refusal()
    if (refused !== undefined) return refused
    this.#operations++
    this.#bytes += bytes
    return undefined
  }

  /** Gives back the room of one settled operation of `bytes`. */
  release(bytes: number): void {
    this.#operations--
    this.#bytes -= bytes
  }

  /**
   * Runs `work` with room for one operation of `bytes`, released once its promise settles.
   * Rejects with the refusal (and never calls `work`) when a limit is reached.
   */
  run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    const refused = this.admit(bytes)
    if (refused !== undefined) return Promise.reject(refused)
    let running: Promise<T>
    try {
      running = work()
    } catch (err) {
      this.release(bytes)
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    return running.then(
      (value) => {
        this.release(bytes)
        return value
      },
      (err: unknown) => {
        this.release(bytes)
        throw err
      },
    )
  }
}

function defaultOverloaded(details: OverloadDetails): Error {
  return new OverloadedError(
    `overloaded: ${details.queuedOperations} operations (${details.queuedBytes} bytes) wait for the disk and ${details.limit} is ${details.max}; nothing was written, retry once some have resolved`,
    details,
  )
}
