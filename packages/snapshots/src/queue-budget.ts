import { OverloadedError } from './errors.js'

/**
 * Counts saves, deletes and loads accepted and not yet settled (and the encoded bytes of those
 * saves) against `maxQueuedOperations` and `maxQueuedBytes`, so that memory stays bounded when
 * callers outrun the disk.
 */
export class QueueBudget {
  readonly #maxOperations: number
  readonly #maxBytes: number
  #operations = 0
  #bytes = 0

  constructor(maxQueuedOperations: number, maxQueuedBytes: number) {
    this.#maxOperations = maxQueuedOperations
    this.#maxBytes = maxQueuedBytes
  }

  /**
   * Throws `OverloadedError` when a limit is reached. It does not depend on the new operation's
   * size (at most `maxQueuedBytes` plus one save wait), so it runs before encoding.
   */
  admit(): void {
    if (this.#operations >= this.#maxOperations) {
      throw new OverloadedError('maxQueuedOperations', this.#maxOperations, this.#operations, this.#bytes)
    }
    if (this.#bytes >= this.#maxBytes) {
      throw new OverloadedError('maxQueuedBytes', this.#maxBytes, this.#operations, this.#bytes)
    }
  }

  /** Counts `work` (of `bytes`) against the limits until it settles. */
  count<T>(work: Promise<T>, bytes: number): Promise<T> {
    this.#operations++
    this.#bytes += bytes
    const release = (): void => {
      this.#operations--
      this.#bytes -= bytes
    }
    return work.then(
      (value) => {
        release()
        return value
      },
      (err: unknown) => {
        release()
        throw err
      },
    )
  }
}
