import type { FileHandle, FileSystem } from '@quire/vfs'

/** A file system that counts the files open through it, and the most that were open at once. */
export interface CountedOpenFiles {
  readonly fs: FileSystem
  /** Files open now (handles not yet closed; `readFile`, `writeFile`, `readdir`, `syncDir` running: each opens one). */
  readonly open: number
  /** The most that were open at once. */
  readonly peak: number
}

/**
 * Wraps `inner` to count open files, for a test that a store never holds more than its bound open
 * at once (past the process's limit every open fails with `EMFILE`).
 */
export function countOpenFiles(inner: FileSystem): CountedOpenFiles {
  let open = 0
  let peak = 0
  const opened = (): void => {
    open++
    peak = Math.max(peak, open)
  }
  const during = async <T>(work: () => Promise<T>): Promise<T> => {
    opened()
    try {
      return await work()
    } finally {
      open--
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
        if (!closed) {
          closed = true
          open--
        }
        return h.close()
      },
    }
  }
  const fs: FileSystem = {
    open: async (path, flags) => {
      const h = await inner.open(path, flags)
      opened()
      return wrap(h)
    },
    readFile: (path) => during(() => inner.readFile(path)),
    writeFile: (path, data) => during(() => inner.writeFile(path, data)),
    rename: (from, to) => inner.rename(from, to),
    unlink: (path) => inner.unlink(path),
    mkdir: (path, options) => inner.mkdir(path, options),
    rmdir: (path) => inner.rmdir(path),
    readdir: (path) => during(() => inner.readdir(path)),
    stat: (path) => inner.stat(path),
    exists: (path) => inner.exists(path),
    symlink: (target, path) => inner.symlink(target, path),
    link: (existing, newPath) => inner.link(existing, newPath),
    syncDir: (path) => during(() => inner.syncDir(path)),
  }
  return {
    fs,
    get open() {
      return open
    },
    get peak() {
      return peak
    },
  }
}
