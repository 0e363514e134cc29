import { acquireLock, ensureDir, isFsError, type DirLock, type FileSystem } from '@quire/vfs'
import { InvalidArgumentError } from './errors.js'
import { archiveNumber, siblingPath, type LogFiles } from './files.js'
import { FORMAT_MAGIC } from './format.js'
import { LOCK_ATTEMPTS } from './limits.js'

// The steps of a writable open besides recovery: the lock and the checks of the directory.

/** What {@link lockLog} made: the lock, and the directories it created (for undoing a failed open). */
export interface LogLock {
  readonly lock: DirLock
  readonly created: string[]
}

/**
 * Makes the lock directory and takes the writer's lock in it. A writer closing right now removes
 * the lock directory after this open created or found it: then it is made again, up to
 * `LOCK_ATTEMPTS` times. On failure `onFailure` gets the directories it created before the error is
 * thrown.
 *
 * @throws `LockedError` when another writer holds it, or what the file system threw.
 */
export async function lockLog(fs: FileSystem, files: LogFiles, onFailure: (created: string[]) => Promise<void>): Promise<LogLock> {
  let created: string[] = []
  try {
    for (let attempt = 1; ; attempt++) {
      created = await ensureDir(fs, files.lockDir)
      try {
        return { lock: await acquireLock(fs, files.lockDir, { subject: files.path }), created }
      } catch (err) {
        if (!isFsError(err, 'ENOENT') || attempt >= LOCK_ATTEMPTS) throw err
      }
    }
  } catch (err) {
    await onFailure(created)
    throw err
  }
}

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
