import { isFsError, writeFileAtomic, type FileSystem } from '@quire/vfs'
import type { StoreErrorClass } from './errors.js'

/**
 * `rk/FORMAT`: the record keeper's magic and format version. Version 2 (this release) may leave
 * an acknowledged group's link as a temp file for recovery to finish, which a version 1 release
 * would remove as garbage (FORMAT.md).
 */
export const RECORD_KEEPER_MAGIC = 'quire-fs-record-keeper 2\n'
/** Older `rk/FORMAT` markers this release opens: a version 1 store is a valid version 2 store. */
export const RECORD_KEEPER_OLDER = ['quire-fs-record-keeper 1\n'] as const
/** `depot/FORMAT`: the depot's magic and format version. */
export const DEPOT_MAGIC = 'quire-fs-depot 1\n'

/**
 * Checks the store's `FORMAT` file, writing it (atomically, durably) when the store is new;
 * resolves with whether it wrote it. Anything else there is `CORRUPT`: this code must not write
 * into a store it does not understand. With `readOnly`, a missing marker is left missing.
 * A marker in `older` is accepted and (unless `readOnly`) replaced atomically by `magic` before
 * anything else is written, so that a release that only knows the older version refuses the store.
 */
export async function checkFormatMarker(
  fs: FileSystem,
  path: string,
  magic: string,
  ErrorClass: StoreErrorClass,
  readOnly = false,
  older: readonly string[] = [],
): Promise<boolean> {
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(path)
  } catch (err) {
    if (!isFsError(err, 'ENOENT')) throw err
    if (readOnly) return false
    await writeFileAtomic(fs, path, new TextEncoder().encode(magic))
    return true
  }
  const found = new TextDecoder().decode(bytes)
  if (older.includes(found)) {
    if (!readOnly) await writeFileAtomic(fs, path, new TextEncoder().encode(magic))
    return false
  }
  // `<name> <version>\n`: a higher version is a newer release's store, not damage.
  const [name, version] = magic.trimEnd().split(' ')
  const newer = new RegExp(`^${name!.replace(/[-]/g, '\\-')} (\\d{1,9})\n$`).exec(found)
  if (newer !== null && Number(newer[1]) > Number(version)) {
    throw new ErrorClass(
      'UNSUPPORTED_VERSION',
      `${path} says format version ${newer[1]}, written by a newer release; this release reads ${version} and will not touch the store`,
    )
  }
  if (found !== magic) {
    throw new ErrorClass('CORRUPT', `${path} is not a ${JSON.stringify(magic.trim())} marker (found ${JSON.stringify(found.slice(0, 40))})`)
  }
  return false
}
