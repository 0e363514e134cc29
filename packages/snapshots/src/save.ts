import { isFsError, safeJoin } from '@quire/vfs'
import { SnapshotError, WriteFailedError } from './errors.js'
import { snapFileName } from './file-name.js'
import { rememberSnap, takeSequence } from './key-cache.js'
import type { KeyState } from './key-cache.js'
import type { EncodedSnapshot } from './snapshot-file.js'
import { poisonedBy, type StoreContext } from './store-context.js'

const noop = (): void => undefined

/**
 * Writes one snapshot of the key atomically and durably (`SnapshotStore.save`'s work, run in the
 * key's queue); a file-system failure is `WRITE_FAILED` (typed, naming its errno), a failed sync
 * poisons the store.
 */
export async function saveSnapshot(ctx: StoreContext, ks: KeyState, position: number, data: Uint8Array | EncodedSnapshot): Promise<void> {
  try {
    await writeSnapshot(ctx, ks, position, data)
  } catch (err) {
    if (err instanceof SnapshotError) throw err
    throw new WriteFailedError(`saving a snapshot of ${JSON.stringify(ks.key)}`, err)
  }
}

/** Temp file, one write (or three, uncopied, for a large state), fdatasync, rename, directory fsync. */
async function writeSnapshot(ctx: StoreContext, ks: KeyState, position: number, data: Uint8Array | EncodedSnapshot): Promise<void> {
  const { fs } = ctx
  ctx.poison.check()
  await ensureKeyDir(ctx, ks)
  const sequence = await takeSequence(fs, ks)
  const name = snapFileName(position, sequence)
  const final = safeJoin(ks.dir, name)
  const temp = `${final}.tmp`
  const handle = await fs.open(temp, 'w')
  try {
    if (data instanceof Uint8Array) {
      await handle.write(data, 0)
    } else {
      await handle.write(data.head, 0)
      await handle.write(data.state, data.head.byteLength)
      await handle.write(data.trailer, data.head.byteLength + data.state.byteLength)
    }
  } catch (err) {
    await handle.close().catch(noop)
    await fs.unlink(temp).catch(noop)
    throw err
  }
  try {
    await handle.sync()
  } catch (err) {
    await handle.close().catch(noop)
    await fs.unlink(temp).catch(noop)
    throw poisonedBy(ctx, err, 'syncing a snapshot')
  }
  try {
    await handle.close()
    await fs.rename(temp, final)
    rememberSnap(ks, { name, position, sequence })
  } catch (err) {
    ks.listing = undefined // did the rename happen? Look again next time.
    // Not poisoned: the content was durable, so whether or not the rename happened, the key
    // directory holds a valid snapshot or none — this save just was not acknowledged.
    await fs.unlink(temp).catch(noop)
    throw err
  }
  try {
    await fs.syncDir(ks.dir)
  } catch (err) {
    throw poisonedBy(ctx, err, 'syncing a key directory')
  }
  ks.knownValid.add(name)
}

/** Creates the key directory durably (once per process, or again after a delete). */
async function ensureKeyDir(ctx: StoreContext, ks: KeyState): Promise<void> {
  if (ks.dirDurable) return
  let created = true
  try {
    await ctx.fs.mkdir(ks.dir)
  } catch (err) {
    if (!isFsError(err, 'EEXIST')) throw err
    // Existing directories were made durable by open's directory sync, or by the save or
    // delete of this process that created them.
    created = false
  }
  if (created) {
    try {
      await ctx.fs.syncDir(ctx.dir)
    } catch (err) {
      throw poisonedBy(ctx, err, 'syncing the store directory')
    }
  }
  ks.dirDurable = true
}
