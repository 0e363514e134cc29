import { isFsError, type FileSystem } from '@quire/vfs'
import { InvalidArgumentError } from './errors.js'
import { archiveNumber, siblingPath, type LogFiles } from './files.js'
import { FORMAT_MAGIC } from './format.js'

// The checks of a writable open besides recovery.

/**
 * `ev` and `ev.ndjson` in one directory would share archive names (`ev.000001.ndjson`): each would
 * adopt, or overwrite, the other's archives. Refuse to open one while the other is a log.
 */
export async function refuseSiblingLog(fs: FileSystem, files: LogFiles): Promise<void> {
  const sibling = siblingPath(files)
  let head: Uint8Array
  try {
    const handle = await fs.open(sibling, 'r')
    try {
      head = new Uint8Array(64)
      head = head.subarray(0, await handle.read(head, 0))
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (isFsError(err, 'ENOENT') || isFsError(err, 'EISDIR')) return
    throw err
  }
  if (new TextDecoder().decode(head).includes(`"format":"${FORMAT_MAGIC}"`)) {
    throw new InvalidArgumentError(`${files.path}: ${sibling} is a log too, and the two would share archive names`)
  }
}

/** True when the log's directory holds an archive of it. */
export async function hasArchives(fs: FileSystem, files: LogFiles): Promise<boolean> {
  try {
    return (await fs.readdir(files.dir)).some((name) => archiveNumber(files, name) !== undefined)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return false
    throw err
  }
}
