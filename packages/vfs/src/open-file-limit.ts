import type { FileHandle, FileSystem } from './file-system.js'

/**
 * A store that runs many operations at once (one per key or per object) would otherwise open a
 * file for each of them at the same moment: with a deep queue that is tens of thousands of open
 * files, and past the process's limit every open fails with `EMFILE`, which a store must treat as
 * an I/O failure. Found by the memory soak of issue 13 (the depot poisoned itself under a burst).
 */
export const DEFAULT_MAX_OPEN_FILES = 64

/**
 * Wraps `fs` so that at most `maxOpen` files are open through it at once: `open` waits (in call
 * order) for a handle to be closed when `maxOpen` are open, and `readFile`, `writeFile`,
 * `readdir` and `syncDir` (which opens the directory) count as one open file while they run.
 * Everything else passes through unchanged.
 *
 * The caller must never wait for an `open` while it holds a handle of the same wrapper (that could
 * wait forever once every slot is taken by such callers): use it for code that holds one file at a
 * time.
 *
 * @param maxOpen an integer >= 1 (default {@link DEFAULT_MAX_OPEN_FILES}).
 * @throws `RangeError` for a bad `maxOpen` (a programmer error).
 */
export function limitOpenFiles(fs: FileSystem, maxOpen: number = DEFAULT_MAX_OPEN_FILES): FileSystem {
  if (!Number.isSafeInteger(maxOpen) || maxOpen < 1) throw new RangeError(`maxOpen must be an integer >= 1, got ${String(maxOpen)}`)
  let open = 0
  const waiting: (() => void)[] = []
  const acquire = async (): Promise<void> => {
    if (open < maxOpen) {
      open++
      return
    }
    // The slot passes straight from a releaser to the next waiter (`open` is not decremented).
    await new Promise<void>((resolve) => waiting.push(resolve))
  }
  const release = (): void => {
    const next = waiting.shift()
    if (next === undefined) open--
    else next()
  }
  const during = async <T>(work: () => Promise<T>): Promise<T> => {
    await acquire()
    try {
      return await work()
    } finally {
      release()
    }
  }
  const wrap = (h: FileHandle): FileHandle => {
    let closed = false
    return {
      get path() {
        return h.path
      },
      read: (buffer, position) => h.read(buffer, position),
      write: (data, position) => h.write(data, position),
      sync: () => h.sync(),
      truncate: (length) => h.truncate(length),
      size: () => h.size(),
      close: async () => {
        if (closed) return h.close()
        closed = true
        try {
          await h.close()
        } finally {
          release()
        }
      },
    }
  }
  return {
    open: async (path, flags) => {
      await acquire()
      try {
        return wrap(await fs.open(path, flags))
      } catch (err) {
        release()
        throw err
      }
    },
    readFile: (path) => during(() => fs.readFile(path)),
    writeFile: (path, data) => during(() => fs.writeFile(path, data)),
    rename: (from, to) => fs.rename(from, to),
    unlink: (path) => fs.unlink(path),
    mkdir: (path, options) => fs.mkdir(path, options),
    rmdir: (path) => fs.rmdir(path),
    readdir: (path) => during(() => fs.readdir(path)),
    stat: (path) => fs.stat(path),
    exists: (path) => fs.exists(path),
    symlink: (target, path) => fs.symlink(target, path),
    link: (existing, newPath) => fs.link(existing, newPath),
    syncDir: (path) => during(() => fs.syncDir(path)),
  }
}
