/**
 * Group commit: appends that arrive while a write (and its `fdatasync`) is in flight wait, then go
 * to disk together in one write and one sync. One group is in flight at a time, so the file's
 * order is the order of `submit` calls, and a group is acknowledged only after `flush` resolved.
 */

interface Waiting<E, R> {
  readonly entry: E
  readonly resolve: (result: R) => void
  readonly reject: (err: unknown) => void
}

export interface GroupCommitHooks<E, R> {
  /** Bytes an entry will take on disk (an upper bound is fine). */
  sizeOf(entry: E): number
  /** The most bytes the next group may take; the first entry of a group is always taken. */
  groupLimitBytes(): number
  /**
   * Writes (and syncs) the entries as one group; resolves with one result per entry, in order,
   * only once they are acknowledged. Rejecting rejects every entry of the group with that error.
   */
  flush(entries: readonly E[]): Promise<R[]>
  /** Most entries accepted and not yet settled; one more is refused with `overloaded(...)`. */
  readonly maxQueuedOperations: number
  /** Bytes (`sizeOf`) of those at which the next entry is refused (at most this plus one entry wait). */
  readonly maxQueuedBytes: number
  /** The refusal for an entry over a limit. */
  overloaded(limit: 'maxQueuedOperations' | 'maxQueuedBytes', max: number, queuedOperations: number, queuedBytes: number): Error
}

export class GroupCommitter<E, R> {
  readonly #hooks: GroupCommitHooks<E, R>
  #queue: Waiting<E, R>[] = []
  #running = false
  #scheduled = false
  #idle: (() => void)[] = []
  /** Entries accepted and not yet settled (queued or in the group being written), and their bytes. */
  #queuedOps = 0
  #queuedBytes = 0

  constructor(hooks: GroupCommitHooks<E, R>) {
    this.#hooks = hooks
  }

  /** Entries waiting for the next group. */
  get queued(): number {
    return this.#queue.length
  }

  /** Entries accepted and not yet settled, and their bytes. */
  get pending(): { readonly operations: number; readonly bytes: number } {
    return { operations: this.#queuedOps, bytes: this.#queuedBytes }
  }

  /**
   * The refusal for one more entry when a limit is reached, else `undefined`. It does not depend
   * on the entry's size (at most `maxQueuedBytes` plus one entry wait), so callers can refuse
   * before the cost of serializing.
   */
  refusal(): Error | undefined {
    const hooks = this.#hooks
    if (this.#queuedOps >= hooks.maxQueuedOperations) {
      return hooks.overloaded('maxQueuedOperations', hooks.maxQueuedOperations, this.#queuedOps, this.#queuedBytes)
    }
    if (this.#queuedBytes >= hooks.maxQueuedBytes) {
      return hooks.overloaded('maxQueuedBytes', hooks.maxQueuedBytes, this.#queuedOps, this.#queuedBytes)
    }
    return undefined
  }

  /**
   * Queues an entry; resolves once the group holding it is acknowledged. Rejects at once with the
   * `overloaded` error when `maxQueuedOperations` or `maxQueuedBytes` is reached.
   */
  submit(entry: E): Promise<R> {
    const bytes = this.#hooks.sizeOf(entry)
    const refused = this.refusal()
    if (refused !== undefined) return Promise.reject(refused)
    this.#queuedOps++
    this.#queuedBytes += bytes
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject })
      this.#schedule()
    })
  }

  /** Resolves once nothing is queued or in flight. */
  drain(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return
    this.#scheduled = true
    // A macrotask, not a microtask: every append issued in this turn of the event loop, and every
    // caller woken by the previous group, joins the group before it is cut.
    setImmediate(() => {
      this.#scheduled = false
      void this.#runOne()
    })
  }

  async #runOne(): Promise<void> {
    if (this.#queue.length === 0) return this.#notifyIdle()
    this.#running = true
    const limit = this.#hooks.groupLimitBytes()
    let bytes = 0
    let take = 0
    while (take < this.#queue.length) {
      const size = this.#hooks.sizeOf(this.#queue[take]!.entry)
      if (take > 0 && bytes + size > limit) break
      bytes += size
      take++
    }
    const group = this.#queue.slice(0, take)
    this.#queue = this.#queue.slice(take)
    try {
      const results = await this.#hooks.flush(group.map((w) => w.entry))
      this.#settled(group.length, bytes)
      for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!)
    } catch (err) {
      this.#settled(group.length, bytes)
      for (const w of group) w.reject(err)
    } finally {
      this.#running = false
    }
    if (this.#queue.length > 0) this.#schedule()
    else this.#notifyIdle()
  }

  #settled(entries: number, bytes: number): void {
    this.#queuedOps -= entries
    this.#queuedBytes -= bytes
  }

  #notifyIdle(): void {
    if (this.#running || this.#scheduled || this.#queue.length > 0) return
    const idle = this.#idle
    this.#idle = []
    for (const resolve of idle) resolve()
  }
}
