import { isFsError, safeJoin, unlinkIfPresent } from '@quire/vfs'
import { TEMP_SUFFIX } from './file-name.js'
import { isNewerFormat } from './file-reports.js'
import { listKey } from './key-cache.js'
import type { KeyState } from './key-cache.js'
import { poisonedBy, type StoreContext } from './store-context.js'

/**
 * Removes every snapshot of the key, oldest first, then its directory (`SnapshotStore.delete`'s
 * work, run in the key's queue). A crash in the middle leaves the newest snapshots.
 */
export async function deleteKey(ctx: StoreContext, ks: KeyState): Promise<void> {
  const { fs } = ctx
  ctx.poison.check()
  ks.listing = undefined // whatever happens below, list again afterwards
  const { snaps, names } = await listKey(fs, ks)
  if (names.length === 0) {
    ks.dirDurable = false
    ks.listing = []
    return
  }
  // Oldest first: directory changes survive a crash as a prefix, so what a crash leaves is
  // always the newest snapshots.
  for (const snap of [...snaps].reverse()) {
    // A newer release's file stays (it keeps the key directory too): this code cannot read it.
    if (ks.newer.has(snap.name) || (!ks.knownValid.has(snap.name) && (await isNewerFormat(ctx, ks, snap.name)))) continue
    await unlinkIfPresent(fs, safeJoin(ks.dir, snap.name))
    ks.knownValid.delete(snap.name)
  }
  for (const name of names) if (name.endsWith(TEMP_SUFFIX)) await unlinkIfPresent(fs, safeJoin(ks.dir, name))
  try {
    await fs.syncDir(ks.dir)
  } catch (err) {
    throw poisonedBy(ctx, err, 'syncing a key directory')
  }
  try {
    await fs.rmdir(ks.dir)
  } catch (err) {
    // Foreign files keep the directory; keys() ignores a directory without snapshots.
    if (!isFsError(err, 'ENOTEMPTY') && !isFsError(err, 'ENOENT')) throw err
  }
  ks.dirDurable = false
  try {
    await fs.syncDir(ctx.dir)
  } catch (err) {
    throw poisonedBy(ctx, err, 'syncing the store directory')
  }
  ks.listing = []
}
