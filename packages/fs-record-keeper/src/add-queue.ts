import { GroupCommit, type PendingRequest, type Poison, type QueueLimits } from '@quire/durable'
import { overloadedError, RecordKeeperError } from './errors.js'
import type { EncodedEvent } from './event-input.js'
import { MAX_GROUP_EVENTS } from './limits.js'

/** An add waiting for its group. */
export interface QueuedAdd extends PendingRequest<undefined> {
  readonly id: string
  readonly eventJson: string
}

/**
 * The record keeper's adds, on the group commit of `@quire/durable`: adds are queued in call
 * order and written in groups of up to {@link MAX_GROUP_EVENTS}, one group at a time; what arrives
 * while a group is written goes as the next one. Scheduling is the core's `macrotask` policy: a
 * group waits one `setImmediate` before it is cut, so adds issued together (and callers woken by
 * the previous group) share its syncs. A failed group poisons the store: it and every later add
 * reject with `POISONED` (the first cause kept). Memory follows the disk: an add resolves only
 * once `commit` (FORMAT.md's step 1, one round of syncs) made its group and its link durable.
 */
export class AddQueue {
  /** Ids queued or being written: an `add` of one of them is `EXISTS`. */
  readonly #pending = new Set<string>()
  readonly #commit: GroupCommit<QueuedAdd>

  /** `commit` writes one group durably (it is called for one group at a time). */
  constructor(limits: QueueLimits, poison: Poison, what: string, commit: (group: readonly QueuedAdd[]) => Promise<void>) {
    this.#commit = new GroupCommit<QueuedAdd>({
      limits,
      poison,
      scheduling: { kind: 'macrotask' },
      take: () => MAX_GROUP_EVENTS,
      overloaded: overloadedError(RecordKeeperError, what),
      flush: async (group, c) => {
        await commit(group)
        for (const add of group) c.resolve(add, undefined)
      },
    })
  }

  /** True while an add of `id` is queued or being written. */
  has(id: string): boolean {
    return this.#pending.has(id)
  }

  /** Queues `event`; resolves once its group is durable with its link (FORMAT.md). `OVERLOADED` at once when the queue is full. */
  enqueue(event: EncodedEvent): Promise<void> {
    const refused = this.#commit.admit(event.bytes)
    if (refused !== undefined) throw refused
    const { id, eventJson, bytes } = event
    this.#pending.add(id)
    return new Promise<void>((resolve, reject) => {
      this.#commit.enqueue({
        id,
        eventJson,
        bytes,
        settled: false,
        resolve: () => {
          this.#pending.delete(id)
          resolve()
        },
        reject: (err: unknown) => {
          this.#pending.delete(id)
          // Always an Error: the group commit rejects with the poison error or OVERLOADED.
          reject(err instanceof Error ? err : new Error(String(err)))
        },
      })
    })
  }

  /** Resolves once every queued add has settled. */
  drained(): Promise<void> {
    return this.#commit.drain()
  }
}
