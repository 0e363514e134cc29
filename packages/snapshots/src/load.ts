import { isFsError, safeJoin } from '@quire/vfs'
import { reportCorrupt, reportNewer } from './file-reports.js'
import { forgetSnap, snapsOf } from './key-cache.js'
import type { KeyState } from './key-cache.js'
import { LOAD_RELIST_ATTEMPTS } from './limits.js'
import type { LoadOptions } from './options.js'
import { verifySnapshot } from './snapshot-file.js'
import type { StoreContext } from './store-context.js'

/** A loaded snapshot. */
export interface Snapshot {
  readonly key: string
  readonly position: number
  readonly state: unknown
  /** The requested schema version after an upgrade, else the stored one. */
  readonly schemaVersion: number
  /** When it was saved (milliseconds since the Unix epoch, from the saver's clock). */
  readonly createdAtMs: number
}

/** `load`'s options, checked. */
export interface LoadQuery {
  readonly maxPosition: number
  readonly wanted: number | undefined
  readonly upgrade: LoadOptions['upgrade']
}

const noop = (): void => undefined

/**
 * The newest snapshot of the key that verifies and fits `query` (`SnapshotStore.load`'s work).
 * A damaged file is reported and skipped; a file pruned away under the load makes it list again.
 */
export async function loadNewest(ctx: StoreContext, ks: KeyState, query: LoadQuery): Promise<Snapshot | undefined> {
  for (let attempt = 0; attempt < LOAD_RELIST_ATTEMPTS; attempt++) {
    const pass = await newest(ctx, ks, query)
    if (pass.snapshot !== undefined || !pass.vanished) return pass.snapshot
  }
  // Saves keep pruning what this load was about to read: wait for a gap in the key's queue,
  // where no prune runs, and look once more.
  const last = ks.tail.then(() => newest(ctx, ks, query))
  ks.tail = last.then(noop, noop)
  return (await last).snapshot
}

/** One pass over the key's files, newest first; `vanished` when a listed file was gone. */
async function newest(ctx: StoreContext, ks: KeyState, query: LoadQuery): Promise<{ snapshot?: Snapshot; vanished: boolean }> {
  const { fs } = ctx
  const { codec, maxStateBytes } = ctx.options
  const { maxPosition, wanted, upgrade } = query
  // A copy: a concurrent save or prune edits the listing while this load reads files.
  const snaps = [...(await snapsOf(fs, ks))]
  let vanished = false
  for (const snap of snaps) {
    if (snap.position > maxPosition || ks.newer.has(snap.name)) continue
    const file = safeJoin(ks.dir, snap.name)
    let bytes: Uint8Array
    try {
      bytes = await fs.readFile(file)
    } catch (err) {
      if (isFsError(err, 'ENOENT')) {
        vanished = true // pruned by a concurrent save (so something newer exists), or gone
        forgetSnap(ks, snap.name)
        continue
      }
      reportCorrupt(ctx, ks, file, `unreadable: ${err instanceof Error ? err.message : String(err)}`, err)
      continue
    }
    const verdict = verifySnapshot(bytes, { key: ks.bytes, position: snap.position, maxStateBytes })
    if (!verdict.ok && verdict.unsupportedVersion !== undefined) {
      reportNewer(ctx, ks, snap.name, verdict.unsupportedVersion)
      continue
    }
    if (!verdict.ok) {
      // Damaged since it was written: pruning must not count it among the valid ones it keeps.
      ks.knownValid.delete(snap.name)
      reportCorrupt(ctx, ks, file, verdict.reason)
      continue
    }
    const found = verdict.snapshot
    ks.knownValid.add(snap.name)
    if (found.codecId !== codec.id) continue
    if (wanted !== undefined) {
      if (found.schemaVersion > wanted) continue
      if (found.schemaVersion < wanted && upgrade === undefined) continue
    }
    let state: unknown
    try {
      state = codec.decode(found.state)
    } catch (err) {
      reportCorrupt(ctx, ks, file, `state does not decode: ${err instanceof Error ? err.message : String(err)}`, err)
      continue
    }
    let schemaVersion = found.schemaVersion
    if (wanted !== undefined && schemaVersion < wanted && upgrade !== undefined) {
      state = await upgrade(state, schemaVersion)
      schemaVersion = wanted
    }
    return { snapshot: { key: ks.key, position: found.position, state, schemaVersion, createdAtMs: found.createdAtMs }, vanished }
  }
  return { vanished }
}
