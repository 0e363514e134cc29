import type { FileSystem } from '@quire/vfs'
import type { ResolvedOptions } from './options.js'
import type { Poison } from './poison.js'

/** What the store's jobs (save, load, prune, delete) share: where the store is, its options, its poison state. */
export interface StoreContext {
  /** The store directory (absolute). */
  readonly dir: string
  readonly fs: FileSystem
  readonly options: ResolvedOptions
  readonly poison: Poison
}
