/**
 * Hands the answers of this process's writes back in position order.
 *
 * Why: two appends in flight at once commit in some order and their answers come back in
 * another; the one with the smaller position (the older transaction id) may answer last. The
 * event store hands each resolved append's events to inline projections and to
 * `lastPosition`, in the order appends resolve, and expects that order to be position order (the
 * embedded log acknowledges in position order).
 *
 * The rule: the answered write with the smallest position is released once every write that was
 * still in flight when it answered has answered too; then the next smallest, and so on. A write
 * issued after another answered cannot get a smaller position (its transaction id is assigned
 * after that commit), and every write in flight at the answer has answered with its position, so
 * nothing of this process can still come before the one released.
 */
export class ReleaseOrder {
  readonly #inFlight = new Set<number>()
  readonly #answered: { readonly position: bigint; readonly waitFor: readonly number[]; readonly release: () => void }[] = []
  #nextTicket = 0

  /** Call before sending a write; pass the ticket to {@link ReleaseOrder.answered}. */
  begin(): number {
    const ticket = this.#nextTicket++
    this.#inFlight.add(ticket)
    return ticket
  }

  /**
   * The database answered write `ticket`. `position`: the highest position it wrote, or
   * `undefined` when it wrote nothing (a refusal, a failure, an idempotent replay), which is
   * released at once. Resolves when the write may be reported to its caller.
   */
  answered(ticket: number, position: bigint | undefined): Promise<void> {
    this.#inFlight.delete(ticket)
    // Released from a microtask, never from inside this call: the caller must be awaiting its
    // promise before anything is released, or its continuation would queue behind writes
    // released after it.
    queueMicrotask(() => this.#drain())
    if (position === undefined) return Promise.resolve()
    return new Promise<void>((release) => {
      this.#answered.push({ position, waitFor: [...this.#inFlight], release })
    })
  }

  #drain(): void {
    while (this.#answered.length > 0) {
      let first = 0
      for (let i = 1; i < this.#answered.length; i++) if (this.#answered[i]!.position < this.#answered[first]!.position) first = i
      const next = this.#answered[first]!
      if (!next.waitFor.every((t) => !this.#inFlight.has(t))) return
      this.#answered.splice(first, 1)
      next.release()
    }
  }
}
