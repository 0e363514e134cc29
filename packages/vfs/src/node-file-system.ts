import * as fs from 'node:fs'
import { promisify } from 'node:util'
import type { FileHandle, FileStat, FileSystem, OpenFlags, OpenOptions } from './file-system.js'

const open = promisify(fs.open)
const close = promisify(fs.close)
// Callback forms wrapped by hand: measurably cheaper per call than `fs.promises` handles.
const write = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null) =>
  new Promise<number>((resolve, reject) =>
    fs.write(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  )
const read = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    fs.read(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  )
const fdatasync = promisify(fs.fdatasync)
const fsync = promisify(fs.fsync)
const ftruncate = promisify(fs.ftruncate)
const fstat = promisify(fs.fstat)

/**
 * Node's string flags as numbers, for an open that adds `O_DSYNC` (Node's table, `fs.open`:
 * `'w'` truncates and creates, `'wx'` also fails if the file exists, `'a'` appends).
 */
function numericFlags(flags: OpenFlags): number {
  const c = fs.constants
  switch (flags) {
    case 'r':
      return c.O_RDONLY
    case 'r+':
      return c.O_RDWR
    case 'w':
      return c.O_WRONLY | c.O_CREAT | c.O_TRUNC
    case 'wx':
      return c.O_WRONLY | c.O_CREAT | c.O_TRUNC | c.O_EXCL
    case 'a':
      return c.O_WRONLY | c.O_CREAT | c.O_APPEND
    case 'a+':
      return c.O_RDWR | c.O_CREAT | c.O_APPEND
  }
}

/** `O_DSYNC` where the platform has it (Linux, macOS, the BSDs), else undefined (Windows). */
const O_DSYNC: number | undefined = (fs.constants as { O_DSYNC?: number }).O_DSYNC

class NodeFileHandle implements FileHandle {
  #fd: number | undefined
  readonly path: string
  readonly dsync: boolean
  readonly #append: boolean

  constructor(path: string, fd: number, append: boolean, dsync: boolean) {
    this.path = path
    this.#fd = fd
    this.#append = append
    this.dsync = dsync
  }

  get #open(): number {
    if (this.#fd === undefined) throw Object.assign(new Error(`EBADF: handle closed: ${this.path}`), { code: 'EBADF' })
    return this.#fd
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    const fd = this.#open
    let done = 0
    while (done < buffer.byteLength) {
      const n = await read(fd, buffer, done, buffer.byteLength - done, position + done)
      if (n === 0) break
      done += n
    }
    return done
  }

  async write(data: Uint8Array, position?: number): Promise<void> {
    const fd = this.#open
    // The kernel may take fewer bytes than asked; keep going until all are written or it fails.
    let done = 0
    while (done < data.byteLength) {
      const at = this.#append || position === undefined ? null : position + done
      done += await write(fd, data, done, data.byteLength - done, at)
    }
  }

  async sync(): Promise<void> {
    await fdatasync(this.#open)
  }

  async truncate(length: number): Promise<void> {
    await ftruncate(this.#open, length)
  }

  async size(): Promise<number> {
    return (await fstat(this.#open)).size
  }

  async close(): Promise<void> {
    const fd = this.#fd
    if (fd === undefined) return
    this.#fd = undefined
    await close(fd)
  }
}

const toStat = (s: fs.BigIntStats): FileStat => ({
  size: Number(s.size),
  isFile: s.isFile(),
  isDirectory: s.isDirectory(),
  mtimeMs: Number(s.mtimeMs),
  // bigint: inode numbers above 2^53 exist (e.g. on XFS and btrfs) and must not collide.
  identity: `${s.dev}:${s.ino}`,
  links: Number(s.nlink),
})

/** The real file system, on `node:fs`. `sync` is `fdatasync`; `syncDir` fsyncs the directory. */
export class NodeFileSystem implements FileSystem {
  async open(path: string, flags: OpenFlags, options?: OpenOptions): Promise<FileHandle> {
    const dsync = options?.dsync === true && flags !== 'r' && O_DSYNC !== undefined
    const fd = await open(path, dsync ? numericFlags(flags) | O_DSYNC : flags, 0o666)
    return new NodeFileHandle(path, fd, flags === 'a' || flags === 'a+', dsync)
  }

  async readFile(path: string): Promise<Uint8Array> {
    return fs.promises.readFile(path)
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    await fs.promises.writeFile(path, data)
  }

  async rename(from: string, to: string): Promise<void> {
    await fs.promises.rename(from, to)
  }

  async unlink(path: string): Promise<void> {
    await fs.promises.unlink(path)
  }

  async mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    await fs.promises.mkdir(path, { recursive: options?.recursive ?? false })
  }

  async rmdir(path: string): Promise<void> {
    await fs.promises.rmdir(path)
  }

  async readdir(path: string): Promise<string[]> {
    return (await fs.promises.readdir(path)).sort()
  }

  async stat(path: string): Promise<FileStat> {
    return toStat(await fs.promises.stat(path, { bigint: true }))
  }

  async symlink(target: string, path: string): Promise<void> {
    await fs.promises.symlink(target, path)
  }

  async link(existing: string, newPath: string): Promise<void> {
    await fs.promises.link(existing, newPath)
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fs.promises.access(path)
      return true
    } catch {
      return false
    }
  }

  async syncDir(path: string): Promise<void> {
    const fd = await open(path, 'r')
    try {
      await fsync(fd)
    } finally {
      await close(fd)
    }
  }
}
