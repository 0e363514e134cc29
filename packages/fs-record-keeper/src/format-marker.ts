import { isFsError, writeFileAtomic, type FileSystem } from '@quire/vfs'
import type { StoreErrorClass } from './errors.js'

/** `rk/FORMAT`: the record keeper's magic and format version. */
export const RECORD_KEEPER_MAGIC = 'quire-fs-record-keeper 1\n'
/** `depot/FORMAT`: the depot's magic and format version. */
export const DEPOT_MAGIC = 'quire-fs-depot 1\n'

/**
 * Checks the store's `FORMAT` file, writing it (atomically, durably) when the store is new;
 * resolves with whether it wrote it. Anything else there is `CORRUPT`: this code must not write
 * into a store it does not understand. With `readOnly`, a missing marker is left missing.
 */
export async function checkFormatMarker(
  fs: FileSystem,
  path: string,
  magic: string,
  ErrorClass: StoreErrorClass,
  readOnly = false,
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
