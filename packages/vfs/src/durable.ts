import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { isFsError, type FileHandle, type FileSystem } from './file-system.js'

/** Suffix of the temp files {@link writeFileAtomic} leaves behind when a crash interrupts it. */
export const TEMP_SUFFIX = '.tmp'

/**
 * Replaces `path` with `data` atomically and durably: temp file in the same directory, one write,
 * `sync`, rename over `path`, `syncDir`. After a crash, `path` holds the old content or the new,
 * never a mix. A leftover temp file is named `<name>.<random>.tmp` ({@link isTempFile}).
 */
export async function writeFileAtomic(fs: FileSystem, path: string, data: Uint8Array): Promise<void> {
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
 *
 * With `{ syncExisting: true }` it also syncs the parent of every directory on the path that
 * already existed, up to the root. A store's `open` needs this: a directory left by a process
 * that was killed may exist without being durable, and whatever the store then builds in it
 * would vanish with it at the next power loss.
 */
export async function ensureDir(fs: FileSystem, path: string, options: { syncExisting?: boolean } = {}): Promise<void> {
  const missing: string[] = []
  let at = path
  while (!(await fs.exists(at))) {
    missing.push(at)
    const parent = dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const dir of missing.reverse()) {
    try {
      await fs.mkdir(dir)
    } catch (err) {
      if (!isFsError(err, 'EEXIST')) throw err
    }
    await fs.syncDir(dirname(dir))
  }
  if (options.syncExisting !== true) return
  // `at` is the deepest directory that already existed: make it and its ancestors' entries durable.
  for (let dir = at; dirname(dir) !== dir; dir = dirname(dir)) await fs.syncDir(dirname(dir))
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
