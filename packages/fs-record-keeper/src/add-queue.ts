import { errnoOf, RecordKeeperError } from './errors.js'
import type { EncodedEvent } from './event-input.js'
import { MAX_GROUP_EVENTS } from './limits.js'
import type { Poison } from './poison.js'
import type { QueueBudget } from './queue-budget.js'

/** An add waiting for its group. */
export interface QueuedAdd extends EncodedEvent {
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

/**
 * The record keeper's group commit: adds are queued in call order and written in groups of up to
 * {@link MAX_GROUP_EVENTS}, one group at a time. Scheduling: the first add of an idle queue waits
 * one turn of the event loop (`setImmediate`) so that adds issued together form one group; while
 * a group is written, the next one gathers. A failed group poisons the store: it and every later
 * add reject with `POISONED`.
 */
export class AddQueue {
  readonly #queue: QueuedAdd[] = []
  /** Ids queued or being written: an `add` of one of them is `EXISTS`. */
  readonly #pending = new Set<string>()
  readonly #budget: QueueBudget
  readonly #poison: Poison
  readonly #commit: (group: readonly QueuedAdd[]) => Promise<void>
  #flushing = false
  #drainWaiters: (() => void)[] = []

  /** `commit` writes one group durably (it is called for one group at a time). */
  constructor(budget: QueueBudget, poison: Poison, commit: (group: readonly QueuedAdd[]) => Promise<void>) {
    this.#budget = budget
    this.#poison = poison
    this.#commit = commit
  }

  /** True while an add of `id` is queued or being written. */
  has(id: string): boolean {
    return this.#pending.has(id)
  }

  /** Queues `event`; resolves once its group is durable and linked. `OVERLOADED` at once when the budget is spent. */
  enqueue(event: EncodedEvent): Promise<void> {
    this.#budget.admit(event.bytes)
    this.#pending.add(event.id)
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ id: event.id, eventJson: event.eventJson, bytes: event.bytes, resolve, reject })
      this.#scheduleFlush()
    })
  }

  /** Resolves once every queued add has settled. */
  drained(): Promise<void> {
    if (!this.#flushing) return Promise.resolve()
    return new Promise((resolve) => this.#drainWaiters.push(resolve))
  }

  #scheduleFlush(): void {
    if (this.#flushing) return
    this.#flushing = true
    // Wait one turn of the event loop so that adds issued together form one group.
    setImmediate(() => void this.#flush())
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0, MAX_GROUP_EVENTS)
      if (this.#poison.poisoned) {
        this.#rejectGroup(group, undefined)
        continue
      }
      try {
        await this.#commit(group)
      } catch (err) {
        this.#poison.poison(err)
        this.#rejectGroup(group, err)
        continue
      }
      for (const add of group) {
        this.#pending.delete(add.id)
        this.#budget.release(add.bytes)
        add.resolve()
      }
    }
    this.#flushing = false
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const wake of waiters) wake()
  }

  #rejectGroup(group: readonly QueuedAdd[], cause: unknown): void {
    const error = new RecordKeeperError('POISONED', `the write failed${errnoOf(cause ?? this.#poison.cause)}; reopen the record keeper`, {
      cause: cause ?? this.#poison.cause,
    })
    for (const add of group) {
      this.#pending.delete(add.id)
      this.#budget.release(add.bytes)
      add.reject(error)
    }
  }
}
