import { isFsError, safeJoin } from '@quire/vfs'
import { SnapshotCorruptError, UnsupportedVersionError } from './errors.js'
import type { KeyState } from './key-cache.js'
import { FORMAT_PROBE_BYTES } from './limits.js'
import { newerFormatVersion } from './snapshot-file.js'
import type { StoreContext } from './store-context.js'

/** What `onCorrupt` receives for each damaged (or unreadable) snapshot file it skipped. */
export interface CorruptionReport {
  readonly key: string
  /** Absolute path of the damaged file. */
  readonly file: string
  /** Why it was rejected, e.g. `checksum mismatch`. */
  readonly reason: string
  /** The same facts as an error (code `CORRUPT`), for logging. */
  readonly error: SnapshotCorruptError
}

/** What `onUnsupported` receives for a snapshot file of a newer format version (left alone). */
export interface UnsupportedReport {
  readonly key: string
  /** Absolute path of the file. */
  readonly file: string
  /** The format version it carries. */
  readonly version: number
  /** The same facts as an error (code `UNSUPPORTED_VERSION`), for logging. */
  readonly error: UnsupportedVersionError
}

/** Tells `onCorrupt` (if given) that `file` of the key was skipped as damaged. */
export function reportCorrupt(ctx: StoreContext, ks: KeyState, file: string, reason: string, cause?: unknown): void {
  const onCorrupt = ctx.options.onCorrupt
  if (onCorrupt === undefined) return
  const error = new SnapshotCorruptError(file, reason, cause === undefined ? undefined : { cause })
  onCorrupt({ key: ks.key, file, reason, error })
}

/** Marks `name` as a newer release's file (left alone from now on) and tells `onUnsupported`, once per file. */
export function reportNewer(ctx: StoreContext, ks: KeyState, name: string, version: number): void {
  if (ks.newer.has(name)) return
  ks.newer.add(name)
  ks.knownValid.delete(name)
  const onUnsupported = ctx.options.onUnsupported
  if (onUnsupported === undefined) return
  const file = safeJoin(ks.dir, name)
  onUnsupported({ key: ks.key, file, version, error: new UnsupportedVersionError(file, version) })
}

/**
 * Reads the first bytes of a file this process has not verified: true (and reported once) when
 * a newer release wrote it. Pruning and delete look before they remove a file they never read.
 */
export async function isNewerFormat(ctx: StoreContext, ks: KeyState, name: string): Promise<boolean> {
  if (ks.newer.has(name)) return true
  let head: Uint8Array
  try {
    const handle = await ctx.fs.open(safeJoin(ks.dir, name), 'r')
    try {
      head = new Uint8Array(FORMAT_PROBE_BYTES)
      head = head.subarray(0, await handle.read(head, 0))
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return false
    throw err
  }
  const version = newerFormatVersion(head)
  if (version === undefined) return false
  reportNewer(ctx, ks, name, version)
  return true
}
