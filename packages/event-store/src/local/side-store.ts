import type { StoredSnapshot } from '../driver.js'
import type { Checkpoint } from '../types.js'

/**
 * Where an embedded backend keeps what is not the log: durable-subscription checkpoints and
 * snapshots of aggregates and projections. A cache of derived state, except checkpoints, which
 * must be durable before `storeCheckpoint` resolves. The embedded backends use one
 * `@quire/snapshots` store in a directory next to the log; `memoryBackend` keeps them in maps.
 */
export interface SideStore {
  /** The stored checkpoint of a durable subscription, `undefined` when none. */
  loadCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined>
  /** Durable before it resolves. `undefined` deletes. */
  storeCheckpoint(subscriptionId: string, checkpoint: Checkpoint | undefined): Promise<void>
  /** `undefined` when absent, damaged, or unreadable: a snapshot is a cache, never an error. */
  loadSnapshot(key: string): Promise<StoredSnapshot | undefined>
  /** Stores a snapshot (a cache: a failed save costs replay, never correctness). */
  saveSnapshot(key: string, snapshot: StoredSnapshot): Promise<void>
  /** Waits for writes in flight, then closes; idempotent. */
  close(): Promise<void>
}
