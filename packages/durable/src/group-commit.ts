import { Poison } from './poison.js'
import { QueueBudget, type OverloadedFactory, type QueueLimits } from './queue-budget.js'

/** One caller's request waiting for a group: what the queue needs of it. */
export interface PendingRequest<T = unknown> {
  /** Bytes it counts against `maxQueuedBytes` (its encoded size, or an upper bound). */
  readonly bytes: number
  /** Settles the caller's promise with its result (called through {@link GroupCommit.resolve}). */
  readonly resolve: (value: T) => void
  /** Settles the caller's promise with a rejection (called through {@link GroupCommit.reject}). */
  readonly reject: (reason: unknown) => void
  /** Set by {@link GroupCommit.resolve} / {@link GroupCommit.reject}; start it `false`. */
  settled: boolean
}

/**
 * When a group is cut, the one scheduling decision group commit makes:
 *
 * - `{ kind: 'microtask', stragglerTurns }` (default, 8 turns): the first group starts on a
 *   microtask, so everything issued in the same tick joins it; once the queue is empty the loop
 *   waits up to `stragglerTurns` microtask turns for the callers it just resolved to issue their
 *   next operation (an `await` chain takes a few turns) before it goes idle. A single writer in an
 *   `await` loop costs no event-loop turn per operation. The WAL uses it.
 * - `{ kind: 'macrotask' }`: every group waits one `setImmediate` before it is cut, so every
 *   operation issued in this event-loop turn, and every caller woken by the previous group
 *   (however long its `await` chain), joins it. Costs one event-loop turn per group (with
 *   `fdatasync` at ~0.2-1 ms per group that is noise; without a sync it is not). The NDJSON log
 *   and the record keeper used it.
 *
 * In both, one group is in flight at a time: what arrives meanwhile accumulates and goes as the
 * next group (the etcd/PostgreSQL group-commit pattern: the sync's latency is the batching window).
 */
export type SchedulingPolicy = { readonly kind: 'microtask'; readonly stragglerTurns: number } | { readonly kind: 'macrotask' }

/** The default {@link SchedulingPolicy}: microtask, 8 straggler turns (measured: see README.md). */
export const DEFAULT_SCHEDULING: SchedulingPolicy = { kind: 'microtask', stragglerTurns: 8 }

/** The store's part of a {@link GroupCommit}. */
export interface GroupCommitHooks<P extends PendingRequest<never>> {
  /**
   * Writes one group (the requests in acceptance order) and settles every one of them through
   * `commit.resolve` / `commit.reject`, in any order, as soon as its outcome is known (a request
   * the WAL wrote before rolling a segment resolves before the roll). A rejection of `flush`
   * poisons the store: the requests it left unsettled, and every queued one, are rejected with
   * the poison error.
   */
  flush(group: P[], commit: GroupCommit<P>): Promise<void>
  /** How many of the waiting requests the next group takes (1 .. queue.length; default all). */
  take?(queue: readonly P[]): number
  /** Called once the commit was poisoned and its queue rejected (the WAL drops its accumulating buffer). */
  onPoison?(): void
}

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions<P extends PendingRequest<never>> extends GroupCommitHooks<P> {
  readonly limits: QueueLimits
  /** The store's poison (shared with its append file). */
  readonly poison?: Poison
  /** The refusal over a limit (default: `OverloadedError`, code `OVERLOADED`). */
  readonly overloaded?: OverloadedFactory
  /** Default {@link DEFAULT_SCHEDULING}. */
  readonly scheduling?: SchedulingPolicy
}

/**
 * Group commit, written once: one queue, one group in flight, queue limits, drain, and poison
 * propagation. What a group holds and how it reaches the disk is the store's `flush` (the WAL
 * encodes each request into a double buffer as it is accepted and writes the group with one
 * write and one sync; the NDJSON log serializes at flush time).
 *
 * A request goes through three calls: `admit(bytes)` (the refusal when a limit is reached, or
 * room taken), then `enqueue(request)`, then the store's `flush` settles it. Requests are flushed
 * in `enqueue` order, so the file's order is the order of acceptance.
 */
export class GroupCommit<P extends PendingRequest<never> = PendingRequest> {
  readonly poison: Poison
  readonly #hooks: GroupCommitHooks<P>
  /** Requests admitted and not yet settled (queued or in the group being written), and their bytes. */
  readonly #budget: QueueBudget
  readonly #stragglerTurns: number
  readonly #macrotask: boolean
  #queue: P[] = []
  #running = false
  #idleWaiters: (() => void)[] = []

  constructor(options: GroupCommitOptions<P>) {
    this.#hooks = options
    this.poison = options.poison ?? new Poison()
    this.#budget = new QueueBudget(options.limits, options.overloaded)
    const scheduling = options.scheduling ?? DEFAULT_SCHEDULING
    this.#macrotask = scheduling.kind === 'macrotask'
    this.#stragglerTurns = scheduling.kind === 'microtask' ? scheduling.stragglerTurns : 0
  }

  /** Requests admitted and not yet settled, and their bytes. */
  get queued(): { readonly operations: number; readonly bytes: number } {
    return this.#budget.queued
  }

  /** Requests waiting for the next group (not the one in flight). */
  get waiting(): number {
    return this.#queue.length
  }

  /**
   * Takes room for a request of `bytes`, or returns the refusal when the queue is full: once
   * `maxQueuedOperations` requests or `maxQueuedBytes` bytes wait, whatever this request's size.
   * So at most `maxQueuedBytes` plus one request wait, and a request bigger than the limit still
   * goes through an idle store: the limit bounds what piles up behind a slow disk, not one
   * operation. Returns the poison error when poisoned. An admitted request must be enqueued.
   */
  admit(bytes: number): Error | undefined {
    const poisoned = this.poison.error
    if (poisoned !== undefined) return poisoned
    return this.#budget.admit(bytes)
  }

  /** Queues an admitted request for the next group. */
  enqueue(request: P): void {
    this.#queue.push(request)
    if (!this.#running) {
      this.#running = true
      // Start on a microtask: operations issued in the same tick join the first group.
      queueMicrotask(() => void this.#run())
    }
  }

  /** Settles a request of the group being flushed with its result. */
  resolve(request: P, value: P extends PendingRequest<infer T> ? T : never): void {
    this.#settle(request)
    ;(request.resolve as (value: unknown) => void)(value)
  }

  /** Settles a request of the group being flushed with a rejection. */
  reject(request: P, reason: unknown): void {
    this.#settle(request)
    request.reject(reason)
  }

  /** Resolves once nothing is queued or in flight. */
  drain(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Poisons with `cause` (the first cause is kept) and rejects everything queued with the poison error. */
  poisonWith(cause: unknown): Error {
    const error = this.poison.poison(cause)
    const queue = this.#queue
    this.#queue = []
    for (const r of queue) this.reject(r, error)
    this.#hooks.onPoison?.()
    return error
  }

  #settle(request: P): void {
    request.settled = true
    this.#budget.release(request.bytes)
  }

  async #run(): Promise<void> {
    try {
      for (;;) {
        if (this.#macrotask) await new Promise((resolve) => setImmediate(resolve))
        else for (let turn = 0; turn < this.#stragglerTurns && this.#queue.length === 0; turn++) await Promise.resolve()
        if (this.#queue.length === 0) break
        if (this.poison.poisoned) {
          this.poisonWith(undefined)
          break
        }
        await this.#flushOne()
      }
    } finally {
      this.#running = false
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of waiters) w()
    }
  }

  async #flushOne(): Promise<void> {
    const queue = this.#queue
    const n = this.#hooks.take === undefined ? queue.length : Math.min(queue.length, Math.max(1, this.#hooks.take(queue)))
    const group = n === queue.length ? queue : queue.slice(0, n)
    this.#queue = n === queue.length ? [] : queue.slice(n)
    try {
      await this.#hooks.flush(group, this)
    } catch (err) {
      // A failed sync, a failed rollback, or anything unexpected: stop trusting the store.
      const error = this.poison.poison(err)
      for (const r of group) if (!r.settled) this.reject(r, error)
      this.poisonWith(err)
      return
    }
    for (const r of group) if (!r.settled) this.reject(r, new Error('group commit: flush left a request unsettled (a bug)'))
  }
}
