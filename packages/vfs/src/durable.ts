import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { isFsError, type FileHandle, type FileSystem } from './file-system.js'
import { InvalidArgumentError, notWritable } from './errors.js'

/** Suffix of the temp files {@link writeFileAtomic} leaves behind when a crash interrupts it. */
export const TEMP_SUFFIX = '.tmp'

/**
 * Replaces `path` with `data` atomically and durably: temp file in the same directory, one write,
 * `sync`, rename over `path`, `syncDir`. After a crash, `path` holds the old content or the new,
 * never a mix. A leftover temp file is named `<name>.<random>.tmp` ({@link isTempFile}).
 */
export async function writeFileAtomic(fs: FileSystem, path: string, data: Uint8Array): Promise<void> {
  // Before the temp file exists: a string or an array would be written as something else.
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('writeFileAtomic: data must be a Uint8Array')
  const dir = dirname(path)
  const temp = join(dir, `${basename(path)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`)
  const handle = await fs.open(temp, 'wx')
  try {
    await handle.write(data, 0)
    await handle.sync()
  } catch (err) {
    await handle.close().catch(() => undefined)
    await fs.unlink(temp).catch(() => undefined)
    throw err
  }
  await handle.close()
  try {
    await fs.rename(temp, path)
  } catch (err) {
    await fs.unlink(temp).catch(() => undefined)
    throw err
  }
  await fs.syncDir(dir)
}

/** True for names {@link writeFileAtomic} gives its temp files. */
export function isTempFile(name: string): boolean {
  return /\.[0-9a-f]{12}\.tmp$/.test(name)
}

/**
 * `mkdir -p` that makes each directory it creates durable, by syncing its parent after the create.
 * Resolves with the directories it created, top first (none when `path` existed): a store's `open`
 * that then fails hands them to {@link removeCreatedDirs}, to leave the disk as it found it.
 *
 * With `{ syncExisting: true }` it also syncs the parent of every directory on the path that
 * already existed, up to the root. A store's `open` needs this: a directory left by a process
 * that was killed may exist without being durable, and whatever the store then builds in it
 * would vanish with it at the next power loss.
 */
export async function ensureDir(fs: FileSystem, path: string, options: { syncExisting?: boolean } = {}): Promise<string[]> {
  const missing: string[] = []
  let at = path
  while (!(await fs.exists(at))) {
    missing.push(at)
    const parent = dirname(at)
    if (parent === at) break
    at = parent
  }
  const created: string[] = []
  for (const dir of missing.reverse()) {
    try {
      await fs.mkdir(dir)
      created.push(dir)
    } catch (err) {
      if (!isFsError(err, 'EEXIST')) {
        await removeCreatedDirs(fs, created).catch(() => undefined)
        throw notWritable(err, `creating the directory ${dir}`)
      }
    }
    await fs.syncDir(dirname(dir))
  }
  if (options.syncExisting !== true) return created
  // `at` is the deepest directory that already existed: make it and its ancestors' entries durable.
  for (let dir = at; dirname(dir) !== dir; dir = dirname(dir)) await fs.syncDir(dirname(dir))
  return created
}

/**
 * Undoes {@link ensureDir}: removes the directories it reported created — and everything in them,
 * which only the failed `open` that created them can have put there — then syncs the parent of the
 * topmost, so that a failed open leaves the disk as it found it. A file named in `keep` (the lock
 * the failed open still holds) stays, and so does any directory that is not empty then.
 */
export async function removeCreatedDirs(fs: FileSystem, created: readonly string[], keep: readonly string[] = []): Promise<void> {
  const top = created[0]
  if (top === undefined) return
  await removeTree(fs, top, new Set(keep))
  await fs.syncDir(dirname(top))
}

async function removeTree(fs: FileSystem, dir: string, keep: ReadonlySet<string>): Promise<void> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return
    throw err
  }
  for (const name of names) {
    const path = join(dir, name)
    if (keep.has(path)) continue
    if ((await fs.stat(path)).isDirectory) await removeTree(fs, path, keep)
    else await fs.unlink(path)
  }
  try {
    await fs.rmdir(dir)
  } catch (err) {
    if (!isFsError(err, 'ENOTEMPTY') && !isFsError(err, 'ENOENT')) throw err
  }
}

/**
 * What a store's `open` does when it fails after {@link ensureDir} and maybe `acquireLock`: removes
 * what it created (while still holding the lock, so no other opener's files are in the way), then
 * releases the lock, then removes the emptied directories. Never throws: the caller rethrows the
 * error that made the open fail; a disk that also fails the cleanup keeps what it keeps.
 */
export async function undoFailedOpen(fs: FileSystem, created: readonly string[], lock?: { readonly path: string; release(): Promise<void> }): Promise<void> {
  try {
    if (lock !== undefined && created.length > 0) await removeCreatedDirs(fs, created, [lock.path])
  } catch {
    // keep going: release the lock at least
  }
  await lock?.release().catch(() => undefined)
  await removeCreatedDirs(fs, created).catch(() => undefined)
}

/** Unlinks `path` and syncs its directory, so the removal survives a crash. */
export async function unlinkDurable(fs: FileSystem, path: string): Promise<void> {
  await fs.unlink(path)
  await fs.syncDir(dirname(path))
}

/** Reads `length` bytes at `position` (fewer only at end of file). */
export async function readFully(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length)
  const n = await handle.read(buffer, position)
  return n === length ? buffer : buffer.subarray(0, n)
}
