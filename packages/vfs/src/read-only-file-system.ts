import { ReadOnlyError } from './errors.js'
import type { FileHandle, FileStat, FileSystem, OpenFlags, OpenOptions } from './file-system.js'

/**
 * A {@link FileSystem} that reads through `inner` and refuses every change with
 * {@link ReadOnlyError} (`READ_ONLY`) before touching the disk. A store opened with
 * `readOnly: true` does its I/O through one, so that no code path of recovery or cleanup can
 * write by mistake: a read-only open of a store that needs repair reads past the damage in
 * memory, and anything that would still write fails loudly instead of changing the store.
 */
export class ReadOnlyFileSystem implements FileSystem {
  readonly #inner: FileSystem

  constructor(inner: FileSystem) {
    this.#inner = inner
  }

  /** Only `'r'`; `options.dsync` is ignored (nothing is written through the handle: no `dsync`). */
  async open(path: string, flags: OpenFlags, _options?: OpenOptions): Promise<FileHandle> {
    if (flags !== 'r') throw new ReadOnlyError(`open(${path}, '${flags}')`)
    const handle = await this.#inner.open(path, flags)
    return {
      path: handle.path,
      read: (buffer, position) => handle.read(buffer, position),
      write: async () => {
        throw new ReadOnlyError(`write to ${path}`)
      },
      sync: async () => undefined, // nothing was written through it: nothing to make durable
      truncate: async () => {
        throw new ReadOnlyError(`truncate of ${path}`)
      },
      size: () => handle.size(),
      close: () => handle.close(),
    }
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.#inner.readFile(path)
  }
  async writeFile(path: string, _data: Uint8Array): Promise<void> {
    throw new ReadOnlyError(`writeFile(${path})`)
  }
  async rename(from: string, to: string): Promise<void> {
    throw new ReadOnlyError(`rename(${from}, ${to})`)
  }
  async unlink(path: string): Promise<void> {
    throw new ReadOnlyError(`unlink(${path})`)
  }
  async mkdir(path: string, _options?: { recursive?: boolean }): Promise<void> {
    throw new ReadOnlyError(`mkdir(${path})`)
  }
  async rmdir(path: string): Promise<void> {
    throw new ReadOnlyError(`rmdir(${path})`)
  }
  readdir(path: string): Promise<string[]> {
    return this.#inner.readdir(path)
  }
  stat(path: string): Promise<FileStat> {
    return this.#inner.stat(path)
  }
  exists(path: string): Promise<boolean> {
    return this.#inner.exists(path)
  }
  async symlink(_target: string, path: string): Promise<void> {
    throw new ReadOnlyError(`symlink(${path})`)
  }
  async link(_existing: string, newPath: string): Promise<void> {
    throw new ReadOnlyError(`link(${newPath})`)
  }
  /** Nothing was changed through this file system: nothing to make durable. */
  async syncDir(): Promise<void> {}
}
