import { isFsError, quarantineFile, safeJoin } from '@quire/vfs'
import type { SnapName } from './file-name.js'
import { isNewerFormat, reportCorrupt, reportNewer } from './file-reports.js'
import { forgetSnap, snapsOf } from './key-cache.js'
import type { KeyState } from './key-cache.js'
import { verifySnapshot } from './snapshot-file.js'
import type { StoreContext } from './store-context.js'

/**
 * Keeps the `keep + 1` valid snapshots with the highest (position, sequence) and deletes the
 * rest, oldest first. Runs after a save is durable; failures only leave extra files behind.
 */
export async function prune(ctx: StoreContext, ks: KeyState): Promise<void> {
  const { fs } = ctx
  if (ctx.poison.poisoned) return
  const snaps = [...(await snapsOf(fs, ks))]
  const doomed: SnapName[] = []
  /** Doomed because damaged: their bytes are kept in a quarantine file, not deleted. */
  const damaged = new Set<string>()
  let retained = 0
  for (const snap of snaps) {
    // A newer release's file: neither kept in the count nor deleted (issue 13).
    if (ks.newer.has(snap.name)) continue
    if (retained > ctx.options.keep) {
      if (ks.knownValid.has(snap.name) || !(await isNewerFormat(ctx, ks, snap.name))) doomed.push(snap)
      continue
    }
    if (ks.knownValid.has(snap.name)) {
      retained++
      continue
    }
    const file = safeJoin(ks.dir, snap.name)
    let bytes: Uint8Array
    try {
      bytes = await fs.readFile(file)
    } catch (err) {
      if (isFsError(err, 'ENOENT')) forgetSnap(ks, snap.name)
      continue // vanished or unreadable: neither counted nor deleted
    }
    const verdict = verifySnapshot(bytes, { key: ks.bytes, position: snap.position, maxStateBytes: ctx.options.maxStateBytes })
    if (verdict.ok) {
      ks.knownValid.add(snap.name)
      retained++
    } else if (verdict.unsupportedVersion !== undefined) {
      reportNewer(ctx, ks, snap.name, verdict.unsupportedVersion)
    } else {
      reportCorrupt(ctx, ks, file, verdict.reason)
      doomed.push(snap)
      damaged.add(snap.name)
    }
  }
  for (const snap of doomed.reverse()) {
    try {
      // Never destroy bytes unseen: a damaged file may be all that is left of a state.
      if (damaged.has(snap.name)) await quarantineFile(fs, ks.dir, snap.name)
      else await fs.unlink(safeJoin(ks.dir, snap.name))
    } catch (err) {
      if (!isFsError(err, 'ENOENT')) {
        ks.listing = undefined
        return
      }
    }
    ks.knownValid.delete(snap.name)
    forgetSnap(ks, snap.name)
  }
}
