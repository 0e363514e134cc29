/**
 * The file-system seam every Quire package writes through. Paths are absolute.
 * Implementations: `NodeFileSystem` (real disk) and `SimFileSystem` from `@quire/vfs/sim`
 * (a deterministic disk that can crash).
 *
 * Errors are thrown with Node's `code` strings (`ENOENT`, `EEXIST`, `EIO`, `ENOSPC`, `ENOTDIR`,
 * `EISDIR`, `ENOTEMPTY`, `EBADF`); test them with {@link isFsError}.
 */

/** Node's open flags, with Node's meaning. */
export type OpenFlags = 'r' | 'r+' | 'w' | 'wx' | 'a' | 'a+'

/** Options of `FileSystem.open`. */
export interface OpenOptions {
  /**
   * Open with `O_DSYNC`: every write resolves only once its bytes, and the file size they need,
   * are durable (as a write followed by `fdatasync`, in one call: one thread-pool hop instead of
   * two). The returned handle says whether it got it ({@link FileHandle.dsync}): a file system
   * without it (or a wrapper that drops the option) gives an ordinary handle, so check
   * `handle.dsync === true` before relying on it. Default `false`.
   */
  readonly dsync?: boolean
}

/** What `FileSystem.stat` tells about a file or directory. */
export interface FileStat {
  readonly size: number
  readonly isFile: boolean
  readonly isDirectory: boolean
  readonly mtimeMs: number
  /**
   * What the file or directory is, whatever name reached it: equal for every path that leads to
   * the same object on the same file system (a symlink, `..` segments, a bind mount, a hard link),
   * different otherwise. On the real disk `"<dev>:<ino>"`; compare it, never parse it.
   */
  readonly identity: string
  /** Names (hard links) the object has; 1 for an ordinary file. */
  readonly links: number
}

/** An open file: positional reads and writes, `fdatasync`, truncation. */
export interface FileHandle {
  readonly path: string
  /**
   * True only when every write through this handle is durable once it resolves (opened with
   * `{ dsync: true }`, `O_DSYNC`). A rejected write of such a handle may be a failed sync (`EIO`):
   * treat it as a failed `sync` (the data it and earlier unsynced writes covered may be gone);
   * `ENOSPC` is a write that did not fit, as on any handle. Absent or false: call `sync`.
   */
  readonly dsync?: boolean
  /**
   * Reads up to `buffer.byteLength` bytes starting at `position` into `buffer`.
   * Resolves with the number of bytes read: fewer only at end of file, 0 past it.
   */
  read(buffer: Uint8Array, position: number): Promise<number>
  /**
   * Writes all of `data`, at `position` when given, else at the handle's cursor
   * (handles opened with `'a'`/`'a+'` always append, as in Node). Resolves when every byte
   * is written; when it rejects (`ENOSPC`, `EIO`) a prefix of `data` may have been written.
   */
  write(data: Uint8Array, position?: number): Promise<void>
  /**
   * `fdatasync`: resolves once everything written through any handle of this file is durable.
   * After a rejection the dirty data may be gone for good: never trust the handle again.
   */
  sync(): Promise<void>
  /** Sets the file's length (not durable until `sync`). */
  truncate(length: number): Promise<void>
  /** The file's current length in bytes. */
  size(): Promise<number>
  /** Closes the handle; idempotent. Does not sync. */
  close(): Promise<void>
}

/**
 * The file-system seam: every Quire package does its I/O through one of these, so the same code
 * runs on the real disk (`NodeFileSystem`) and on the crash simulator (`SimFileSystem`). Paths
 * are absolute; errors carry Node's codes (`ENOENT`, `EEXIST`, `EIO`, `ENOSPC`, ...).
 */
export interface FileSystem {
  /**
   * Opens a file. Files are created with mode 0o666 less the process umask. `options.dsync`
   * asks for `O_DSYNC` (see {@link OpenOptions}; the handle's `dsync` says if it was granted).
   */
  open(path: string, flags: OpenFlags, options?: OpenOptions): Promise<FileHandle>
  /** The whole content of a file. */
  readFile(path: string): Promise<Uint8Array>
  /** Creates or replaces a file's content. Not durable: see `writeFileAtomic`. */
  writeFile(path: string, data: Uint8Array): Promise<void>
  /** Atomic within one file system; replaces `to` if it exists. Not durable until `syncDir`. */
  rename(from: string, to: string): Promise<void>
  /** Removes a file's name. Not durable until `syncDir`. */
  unlink(path: string): Promise<void>
  /** Creates a directory (with `recursive`, its missing parents too). Not durable until `syncDir` of its parent. */
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>
  /** The names in a directory, sorted by code unit. */
  readdir(path: string): Promise<string[]>
  /** Follows symlinks, as `fs.stat`. */
  stat(path: string): Promise<FileStat>
  /** True when something (a file or a directory, symlinks followed) is at `path`. */
  exists(path: string): Promise<boolean>
  /** Creates a symbolic link at `path` pointing at `target` (stored as given). Not durable until `syncDir`. */
  symlink(target: string, path: string): Promise<void>
  /** Gives the file `existing` a second name `newPath` (a hard link). Not durable until `syncDir`. */
  link(existing: string, newPath: string): Promise<void>
  /** Makes the directory's entries (creates, renames, unlinks in it) durable. */
  syncDir(path: string): Promise<void>
}

/** True when `err` is a file-system error, with `code` if given (`'ENOENT'`, `'EIO'`, ...). */
export function isFsError(err: unknown, code?: string): err is Error & { code: string } {
  if (!(err instanceof Error) || typeof (err as { code?: unknown }).code !== 'string') return false
  return code === undefined || (err as unknown as { code: string }).code === code
}
