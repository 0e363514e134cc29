import { isFsError, type FileSystem } from './file-system.js'

/**
 * Unlinks `path`; a file that is already gone is fine (a crash, or an earlier attempt, removed it).
 * Any other failure is thrown. Does not sync the directory: callers batch their unlinks and sync
 * once (see {@link unlinkDurable} for the one-file durable form).
 */
export async function unlinkIfPresent(fs: FileSystem, path: string): Promise<void> {
  try {
    await fs.unlink(path)
  } catch (err) {
    if (!isFsError(err, 'ENOENT')) throw err
  }
}

/** First read size: most small files (an event, a pointer file) fit in one read. */
const FIRST_READ_BYTES = 8192

/**
 * Reads a whole (usually small) file with one positioned read in the common case: three calls
 * into the file system (open, read, close) instead of `readFile`'s four or more, which matters
 * when a store walks many files. Grows the buffer for a bigger file.
 *
 * @throws the file system's error (`ENOENT`, `EISDIR`, ...) unchanged.
 */
export async function readSmallFile(fs: FileSystem, path: string): Promise<Uint8Array> {
  const handle = await fs.open(path, 'r')
  try {
    let buffer = new Uint8Array(FIRST_READ_BYTES)
    let length = await handle.read(buffer, 0)
    while (length === buffer.byteLength) {
      const bigger = new Uint8Array(Math.max(buffer.byteLength * 2, await handle.size()))
      bigger.set(buffer)
      buffer = bigger
      const n = await handle.read(buffer.subarray(length), length)
      if (n === 0) break
      length += n
    }
    return buffer.subarray(0, length)
  } finally {
    await handle.close()
  }
}
