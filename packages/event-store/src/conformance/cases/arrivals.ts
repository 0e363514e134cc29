/**
 * Event-driven waiting for the read-side cases: no polling, no clock. A case records what a
 * subscriber or handler received and awaits the moment a count is reached.
 */
export class Arrivals<T> {
  readonly items: T[] = []
  #waiters: { readonly count: number; readonly resolve: () => void }[] = []

  push(item: T): void {
    this.items.push(item)
    const ready = this.#waiters.filter((w) => this.items.length >= w.count)
    this.#waiters = this.#waiters.filter((w) => this.items.length < w.count)
    for (const w of ready) w.resolve()
  }

  /**
   * Resolves once `count` items arrived. `failed`, when given, rejects the wait if it rejects
   * first (a subscription that ended instead of delivering).
   */
  reached(count: number, failed?: Promise<unknown>): Promise<void> {
    if (this.items.length >= count) return Promise.resolve()
    const arrived = new Promise<void>((resolve) => this.#waiters.push({ count, resolve }))
    if (failed === undefined) return arrived
    return Promise.race([
      arrived,
      failed.then(() => {
        throw new Error(`ended after ${this.items.length} of ${count} items`)
      }),
    ])
  }
}
