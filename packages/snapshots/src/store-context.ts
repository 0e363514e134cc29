import type { Poison } from '@quire/durable'
import { errnoOf } from '@quire/errors'
import type { FileSystem } from '@quire/vfs'
import { PoisonedError } from './errors.js'
import type { ResolvedOptions } from './options.js'

/** What the store's jobs (save, load, prune, delete) share: where the store is, its options, its poison. */
export interface StoreContext {
  /** The store directory (absolute). */
  readonly dir: string
  readonly fs: FileSystem
  readonly options: ResolvedOptions
  /**
   * Set by a failed sync (or directory sync): what the disk holds is no longer known, so every
   * later save and delete rejects with `POISONED` (the first failure as its cause) until reopened.
   */
  readonly poison: Poison
}

/**
 * Poisons the store with `err` (the first cause is kept for every later rejection) and returns
 * the error of the step `what` that failed with it.
 */
export function poisonedBy(ctx: StoreContext, err: unknown, what: string): PoisonedError {
  ctx.poison.poison(err)
  const errno = errnoOf(err)
  return new PoisonedError(`${what} failed${errno === undefined ? '' : ` (${errno})`}; the snapshot store must be reopened`, { cause: err })
}

/** The poison error every save and delete gets once the store is poisoned: its cause is the first failure. */
export function poisonedStore(cause: unknown): PoisonedError {
  return new PoisonedError('an earlier sync failed; reopen the snapshot store', { cause })
}
