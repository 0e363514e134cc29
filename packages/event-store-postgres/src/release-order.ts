/**
 * Hands the answers of this process's writes back in position order.
 *
 * Why: two appends in flight at once commit in some order and their answers come back in
 * another; the one with the smaller position (the older transaction id) may answer last. The
 * event store hands each resolved append's events to inline projections, in the order appends
 * resolve, and expects that order to be position order (the embedded log acknowledges in
 * position order).
 *
 * The rule: the answered write with the smallest position is released once every write that was
 * in flight when it answered, and that could have a smaller position, has answered too; then the
 * next smallest, and so on. What "could" means: every answer also reports the next transaction
 * id the server would hand out (`xmax` of a snapshot taken after the write), so a write sent
 * after that answer arrived gets a larger id, hence a larger position, than everything before
 * that `xmax`. A write sent later than any answer that proves it comes after X never holds X
 * back; without that bound, under load every write would wait for the whole pipeline (measured:
 * a third of the throughput at 32 clients). A write sent after X answered gets a larger position
 * too, so once the writes that could come first have answered, nothing of this process can.
 */
export class ReleaseOrder {
  /** Writes in flight -> the smallest position they can have (0 when nothing is known). */
  readonly #inFlight = new Map<number, bigint>()
  readonly #answered: { readonly position: bigint; readonly waitFor: readonly number[]; readonly release: () => void }[] = []
  #nextTicket = 0
  /** Every position a write sent from now on can have is at least this (`xmax << 16` seen). */
  #floor = 0n
  readonly #enabled: boolean

  /** `enabled: false` releases every answer at once (no order). */
  constructor(enabled = true) {
    this.#enabled = enabled
  }

  /** Call before sending a write; pass the ticket to {@link ReleaseOrder.answered}. */
  begin(): number {
    const ticket = this.#nextTicket++
    this.#inFlight.set(ticket, this.#floor)
    return ticket
  }

  /**
   * The database answered write `ticket`. `position`: the highest position it wrote, or
   * `undefined` when it wrote nothing (a refusal, a failure, an idempotent replay), which is
   * released at once. `nextXid`: the server's next transaction id as the write saw it after its
   * insert (`undefined` when unknown). Resolves when the write may be reported to its caller.
   */
  answered(ticket: number, position: bigint | undefined, nextXid?: bigint): Promise<void> {
    this.#inFlight.delete(ticket)
    if (nextXid !== undefined && nextXid << 16n > this.#floor) this.#floor = nextXid << 16n
    // Released from a microtask, never from inside this call: the caller must be awaiting its
    // promise before anything is released, or its continuation would queue behind writes
    // released after it.
    queueMicrotask(() => this.#drain())
    if (position === undefined || !this.#enabled) return Promise.resolve()
    const waitFor: number[] = []
    for (const [t, floor] of this.#inFlight) if (floor <= position) waitFor.push(t)
    return new Promise<void>((release) => {
      this.#answered.push({ position, waitFor, release })
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
