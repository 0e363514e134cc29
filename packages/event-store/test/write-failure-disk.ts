// A FileSystem that passes everything to another one (the simulator in tests) and can be told to
// fail the next write to some files with ENOSPC, and the log's own retry of it: "the next append
// fails and is rolled back", however many attempts the log makes for it (the NDJSON log retries
// a write that carried fresh free space with the lines alone: a strict prefix, same offset).
import type { FileHandle, FileStat, FileSystem, OpenFlags } from '@quire/vfs'

function enospc(path: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC', syscall: 'write', path })
}

export class WriteFailureDisk implements FileSystem {
  readonly inner: FileSystem
  #armed: RegExp | undefined
  /** The write that failed last: a retry of (a prefix of) its bytes at its offset fails too. */
  #failed: { path: string; position: number | undefined; data: Buffer } | undefined

  constructor(inner: FileSystem) {
    this.inner = inner
  }

  /** Fails the next write to a file matching `path`, and a retry of a strict prefix of it. */
  failNextWrite(path: RegExp): void {
    this.#armed = path
  }

  #fails(path: string, data: Uint8Array, position: number | undefined): boolean {
    if (this.#armed?.test(path) === true) {
      this.#armed = undefined
      this.#failed = { path, position, data: Buffer.from(data) }
      return true
    }
    const f = this.#failed
    if (f === undefined || f.path !== path) return false
    // A strict prefix at the same offset is the same commit retried without its free space; the
    // same bytes again are a new attempt by the caller (after the rollback), which may succeed.
    if (f.position === position && data.byteLength < f.data.byteLength && f.data.subarray(0, data.byteLength).equals(data)) return true
    this.#failed = undefined
    return false
  }

  async open(path: string, flags: OpenFlags): Promise<FileHandle> {
    const handle = await this.inner.open(path, flags)
    return {
      path: handle.path,
      read: (buffer, position) => handle.read(buffer, position),
      write: (data, position) => (this.#fails(path, data, position) ? Promise.reject(enospc(path)) : handle.write(data, position)),
      truncate: (length) => handle.truncate(length),
      sync: () => handle.sync(),
      size: () => handle.size(),
      close: () => handle.close(),
    }
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.inner.readFile(path)
  }
  writeFile(path: string, data: Uint8Array): Promise<void> {
    return this.inner.writeFile(path, data)
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to)
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path)
  }
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.inner.mkdir(path, options)
  }
  rmdir(path: string): Promise<void> {
    return this.inner.rmdir(path)
  }
  readdir(path: string): Promise<string[]> {
    return this.inner.readdir(path)
  }
  stat(path: string): Promise<FileStat> {
    return this.inner.stat(path)
  }
  exists(path: string): Promise<boolean> {
    return this.inner.exists(path)
  }
  symlink(target: string, path: string): Promise<void> {
    return this.inner.symlink(target, path)
  }
  link(existing: string, newPath: string): Promise<void> {
    return this.inner.link(existing, newPath)
  }
  syncDir(path: string): Promise<void> {
    return this.inner.syncDir(path)
  }
}
