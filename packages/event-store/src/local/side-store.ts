import type { StoredSnapshot } from '../driver.js'
import type { Checkpoint } from '../types.js'

/**
 * Where an embedded backend keeps what is not the log: durable-subscription checkpoints and
 * snapshots of aggregates and projections. A cache of derived state, except checkpoints, which
 * must be durable before `storeCheckpoint` resolves. The embedded backends use one
 * `@quire/snapshots` store in a directory next to the log; `memoryBackend` keeps them in maps.
 */
export interface SideStore {
  loadCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined>
  /** Durable before it resolves. `undefined` deletes. */
  storeCheckpoint(subscriptionId: string, checkpoint: Checkpoint | undefined): Promise<void>
  /** `undefined` when absent, damaged, or unreadable: a snapshot is a cache, never an error. */
  loadSnapshot(key: string): Promise<StoredSnapshot | undefined>
  saveSnapshot(key: string, snapshot: StoredSnapshot): Promise<void>
  close(): Promise<void>
}
