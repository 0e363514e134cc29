import type { FileHandle, FileSystem } from '@quire/vfs'

/** A file system whose data writes and syncs can be held back, as a disk that stops answering. */
export interface StalledDisk {
  /** Goes through to the wrapped file system, except while stalled (see {@link StalledDisk.stall}). */
  readonly fs: FileSystem
  /** From now on, every file write and sync (and `writeFile`, `syncDir`) waits until `resume`. */
  stall(): void
  /** Lets every held operation go on, in the order it came, and stops holding new ones. */
  resume(): void
  /** Operations waiting now. */
  readonly held: number
}

/**
 * Wraps `inner` so that a test can make the disk stop answering while producers keep offering
 * work: the situation in which a store's queue would grow without a bound. The wrapped calls are
 * the real ones (the simulator's or Node's), only delayed.
 */
export function stalledDisk(inner: FileSystem): StalledDisk {
  let stalled = false
  let waiting: (() => void)[] = []
  const gate = async (): Promise<void> => {
    if (stalled) await new Promise<void>((resolve) => waiting.push(resolve))
  }
  const wrapHandle = (h: FileHandle): FileHandle => ({
    get path() {
      return h.path
    },
    read: (buffer, position) => h.read(buffer, position),
    write: async (data, position) => {
      await gate()
      return h.write(data, position)
    },
    sync: async () => {
      await gate()
      return h.sync()
    },
    truncate: (length) => h.truncate(length),
    size: () => h.size(),
    close: () => h.close(),
  })
  const fs: FileSystem = {
    open: async (path, flags) => wrapHandle(await inner.open(path, flags)),
    readFile: (path) => inner.readFile(path),
    writeFile: async (path, data) => {
      await gate()
      return inner.writeFile(path, data)
    },
    rename: (from, to) => inner.rename(from, to),
    unlink: (path) => inner.unlink(path),
    mkdir: (path, options) => inner.mkdir(path, options),
    rmdir: (path) => inner.rmdir(path),
    readdir: (path) => inner.readdir(path),
    stat: (path) => inner.stat(path),
    exists: (path) => inner.exists(path),
    symlink: (target, path) => inner.symlink(target, path),
    link: (existing, newPath) => inner.link(existing, newPath),
    syncDir: async (path) => {
      await gate()
      return inner.syncDir(path)
    },
  }
  return {
    fs,
    stall: () => {
      stalled = true
    },
    resume: () => {
      stalled = false
      const go = waiting
      waiting = []
      for (const resolve of go) resolve()
    },
    get held() {
      return waiting.length
    },
  }
}
