import { WriteFailedError } from '@quire/errors'
import { isFsError, type FileHandle, type FileSystem } from '@quire/vfs'
import { Poison } from './poison.js'

/** Options of {@link DurableAppendFile}. */
export interface AppendFileOptions {
  /**
   * Where the next append goes: the end of what recovery accepted (bytes, from the file's start).
   * Everything before it must be durable already (recovery synced it): it starts as `syncedEnd`.
   */
  readonly end: number
  /** The store's poison (default: a new one). A failed sync or a failed rollback poisons it. */
  readonly poison?: Poison
  /**
   * Builds the error of a failed write that was rolled back (default `WriteFailedError`, code
   * `WRITE_FAILED`, with the file-system error as `cause`).
   */
  readonly writeFailed?: (cause: unknown) => Error
  /**
   * Bytes of zeroed free space to keep after the data (default 0: none). An append that would
   * end past the file's length writes its bytes followed by zeros up to this many bytes past
   * them (never past `maxFileEnd`), in the same write; the appends after it overwrite that space.
   * So the file grows once per this many bytes instead of at every append, and most syncs have
   * no new file length to commit: an `fdatasync` that overwrites allocated space skips the
   * file system's journal commit (SQLite's WAL mode gets its speed the same way; measured on
   * ext4 in issue 17). The zeros are not data: the file's format must read a run of zeros at its
   * end as free space (for a framed log: a zero length field is no valid frame). `seal()` cuts
   * them (`roll` and a clean close leave no free space behind).
   */
  readonly preallocate?: number
  /** The length free space may extend the file to (default: unbounded); an append itself may pass it. */
  readonly maxFileEnd?: number
  /**
   * The file's length when free space a writer that did not close left follows `end` (default
   * `end`; {@link DurableAppendFile.open} with `preallocate` reads it). Bytes `[end, fileEnd)`
   * must be zeros (recovery checked): appends overwrite them before the file grows again.
   */
  readonly fileEnd?: number
  /**
   * For {@link DurableAppendFile.open}: open the file with `O_DSYNC` where the file system
   * grants it (default false), so that a synced append is one write. Given a handle, the class
   * looks at `handle.dsync` instead.
   */
  readonly dsync?: boolean
  /**
   * A second, synchronous way to write the same file (default: none). When given, an append
   * called with `{ sync: true, inline: true }` that needs no free space written after it, while
   * no sync is in flight, is written through it on the calling thread instead of through the
   * handle: no thread-pool hop, and the event loop is blocked for one device sync. See
   * {@link InlineWriter}.
   */
  readonly inline?: InlineWriter
}

/**
 * A synchronous positional writer of the same file as the handle, through a descriptor opened
 * with `O_DSYNC`: `write` returns once the bytes are durable, or throws (an `fs` error with its
 * `code`), blocking the calling thread meanwhile. better-sqlite3 commits the same way. A throw
 * other than "did not fit" is treated as a failed sync, as for a `dsync` handle.
 */
export interface InlineWriter {
  /** Writes all of `data` at `position` and returns once it is durable; throws on failure. */
  write(data: Uint8Array, position: number): void
  /** Closes the descriptor. Errors are ignored. */
  close(): void
}

/** Errors of a write that did not fit (nothing of it is durable; the file is as the rollback leaves it). */
const DID_NOT_FIT = ['ENOSPC', 'EDQUOT', 'EFBIG']

/** What {@link DurableAppendFile.roll} is given to make the next file. */
export type NextFile = (previous: FileHandle) => Promise<{ readonly handle: FileHandle; readonly end: number; readonly inline?: InlineWriter }>

/**
 * One file written only at its end, with the discipline every Quire log needs, written once:
 *
 * - **write at the end**: `append` writes at `end` and moves `end` only once the bytes are
 *   written (and, with `sync`, durable): memory follows the disk, never leads it;
 * - **roll back a failed write durably**: the file is truncated back to `end` and the truncation
 *   synced, so the rejected bytes cannot come back after a crash; if that fails too, poison;
 * - **one sync at a time**: two `fdatasync` in flight would let the second succeed after the first
 *   failed (the data it dropped is no longer dirty), and the second caller would build on data
 *   that is gone;
 * - **after a failed sync, cut back and poison**: the data may be gone from the disk while the OS
 *   still serves it from its cache (Linux marks the pages clean), so the file is cut back to
 *   `syncedEnd` (what the disk is known to hold) before anything else runs, and the store is
 *   poisoned: a reopen in this process never builds new acknowledged data on bytes not there;
 * - **roll**: `roll(next)` makes what was written durable, then switches to the file `next`
 *   makes (a new WAL segment, a rotated NDJSON file).
 *
 * Not safe for concurrent `append` calls: one caller (a {@link GroupCommit}'s flush) writes at a
 * time. `sync` may be called at any time.
 */
export class DurableAppendFile {
  #handle: FileHandle
  /** Where the next append goes: the end of the acknowledged data. */
  #end: number
  /** The file's length as written (past `#end` when an append left more than it advanced: a pad). */
  #fileEnd: number
  /** `#end` as of the last successful sync: what the disk is known to hold. */
  #syncedEnd: number
  /** The syncs, one after the other (see `#syncSerial`). */
  #syncQueue: Promise<unknown> = Promise.resolve()
  /** Steps queued in sync order and not settled yet: an inline write may go only when none is. */
  #syncsInFlight = 0
  #inline: InlineWriter | undefined
  readonly #poison: Poison
  readonly #writeFailed: (cause: unknown) => Error
  readonly #preallocate: number
  readonly #maxFileEnd: number

  /** Takes over `handle` (open for writing, its data up to `options.end` durable). */
  constructor(handle: FileHandle, options: AppendFileOptions) {
    this.#handle = handle
    this.#end = options.end
    this.#fileEnd = Math.max(options.end, options.fileEnd ?? options.end)
    this.#syncedEnd = options.end
    this.#poison = options.poison ?? new Poison()
    this.#writeFailed = options.writeFailed ?? defaultWriteFailed
    this.#preallocate = options.preallocate ?? 0
    this.#maxFileEnd = options.maxFileEnd ?? Infinity
    this.#inline = options.inline
  }

  /** Opens `path` (`'r+'`, with `O_DSYNC` if `options.dsync`) for appending at `options.end`. */
  static async open(fs: FileSystem, path: string, options: AppendFileOptions): Promise<DurableAppendFile> {
    const handle = await fs.open(path, 'r+', { dsync: options.dsync === true })
    if ((options.preallocate ?? 0) <= 0 || options.fileEnd !== undefined) return new DurableAppendFile(handle, options)
    try {
      return new DurableAppendFile(handle, { ...options, fileEnd: await handle.size() })
    } catch (err) {
      await handle.close().catch(() => undefined)
      throw err
    }
  }

  /** Where the next append goes (bytes from the file's start). */
  get end(): number {
    return this.#end
  }

  /** The end as of the last successful sync: what the disk is known to hold. */
  get syncedEnd(): number {
    return this.#syncedEnd
  }

  /** The file's length as written: `end`, or more while an append's extra bytes (a pad) lie past it. */
  get fileEnd(): number {
    return this.#fileEnd
  }

  /** The poison this file reports to (shared with its store). */
  get poison(): Poison {
    return this.#poison
  }

  /**
   * Writes `bytes` at `end`; with `options.sync`, then syncs. With `options.inline` too, the write
   * may go through the file's {@link InlineWriter} (see `AppendFileOptions.inline`), blocking. `end` moves by `options.advance`
   * (default: all of `bytes`) only once that succeeded; bytes past the advance (free space a log
   * preallocates) are written but not acknowledged, and a later append overwrites them.
   *
   * On a handle opened with `dsync` (`O_DSYNC`, see `@quire/vfs`) the write is durable when it
   * resolves: no separate sync, one thread-pool hop instead of two. Such a write that fails with
   * anything but "did not fit" (`ENOSPC`, `EDQUOT`, `EFBIG`) may be a failed sync, and is treated
   * as one: poison, and the file cut back to `syncedEnd`.
   *
   * @throws the poison error when poisoned before, or when the sync or the rollback failed (the
   *   outcome is unknown: reopen); the `writeFailed` error when the write failed and was rolled
   *   back (nothing appended, the file is as before, the next append may succeed).
   */
  async append(bytes: Uint8Array, options: { readonly sync?: boolean; readonly advance?: number; readonly inline?: boolean } = {}): Promise<void> {
    this.#poison.check()
    const at = this.#end
    const advance = options.advance ?? bytes.byteLength
    const data = this.#withFreeSpace(bytes, at)
    const inline = this.#inline
    if (inline !== undefined && options.sync === true && options.inline === true && data === bytes && this.#syncsInFlight === 0) {
      // Nothing else in sync order, so writing now keeps it; the bytes are durable on return.
      try {
        inline.write(data, at)
      } catch (err) {
        await this.#writeFailedInSyncOrder(err)
      }
      this.#fileEnd = Math.max(this.#fileEnd, at + data.byteLength)
      this.#syncedEnd = at + advance
      this.#end = at + advance
      return
    }
    const dsync = this.#handle.dsync === true
    if (dsync) {
      // The write is a sync too: in the syncs' order, so that a sync failing meanwhile cannot cut
      // the file back under it, nor it succeed after that failure.
      await this.#inSyncOrder(async () => {
        try {
          await this.#handle.write(data, at)
        } catch (err) {
          await this.#dsyncWriteFailed(err)
        }
      })
    } else {
      try {
        await this.#handle.write(data, at)
      } catch (err) {
        await this.#rollBack(err)
      }
    }
    this.#fileEnd = Math.max(this.#fileEnd, at + data.byteLength)
    if (dsync) this.#syncedEnd = at + advance
    else if (options.sync === true) {
      await this.#syncSerial()
      this.#syncedEnd = at + advance
    }
    this.#end = at + advance
  }

  /** A write that was also a sync failed: a failed sync (poison) unless it did not fit (rolled back). Always throws. */
  async #dsyncWriteFailed(err: unknown): Promise<never> {
    if (!DID_NOT_FIT.some((code) => isFsError(err, code))) await this.#failedSync(err)
    return this.#rollBack(err)
  }

  /** An inline write failed: handled as a `dsync` write's failure, in sync order. Always throws. */
  async #writeFailedInSyncOrder(err: unknown): Promise<never> {
    await this.#inSyncOrder(() => this.#dsyncWriteFailed(err))
    throw err
  }

  /** `bytes`, followed by zeros up to `preallocate` past them when they would end past the file. */
  #withFreeSpace(bytes: Uint8Array, at: number): Uint8Array {
    const end = at + bytes.byteLength
    if (this.#preallocate <= 0 || end <= this.#fileEnd) return bytes
    const fileEnd = Math.max(end, Math.min(end + this.#preallocate, this.#maxFileEnd))
    if (fileEnd === end) return bytes
    const data = new Uint8Array(fileEnd - at)
    data.set(bytes)
    return data
  }

  /**
   * Makes everything appended so far durable (one sync at a time; a failure poisons and cuts the
   * file back to `syncedEnd`). Nothing to do when nothing is unsynced.
   *
   * @throws the poison error.
   */
  async sync(): Promise<void> {
    this.#poison.check()
    const end = this.#end
    await this.#syncSerial()
    this.#syncedEnd = Math.max(this.#syncedEnd, end)
  }

  /**
   * Cuts anything written past `end` (a pad), then syncs if anything is unsynced: the state a
   * file is left in when it is closed or rolled. A failure poisons.
   *
   * @throws the poison error.
   */
  async seal(): Promise<void> {
    this.#poison.check()
    if (this.#fileEnd > this.#end) {
      try {
        await this.#handle.truncate(this.#end)
      } catch (err) {
        throw this.#poison.poison(err)
      }
      this.#fileEnd = this.#end
      this.#syncedEnd = Math.min(this.#syncedEnd, this.#end)
      await this.sync()
      return
    }
    if (this.#syncedEnd < this.#end) await this.sync()
  }

  /**
   * Seals this file (see {@link DurableAppendFile.seal}: only the last file of a log may ever be
   * torn, so this one is made durable before a newer one exists), then calls `next` with its
   * handle to make the next file, switches to it and closes the previous handle. `next` owns the
   * error handling of the new file (rolled back, or poison through {@link Poison}); its
   * rejection is rethrown unchanged and this file stays the active one.
   *
   * @throws the poison error, or what `next` threw.
   */
  async roll(next: NextFile): Promise<void> {
    await this.seal()
    const previous = this.#handle
    const made = await next(previous)
    this.#inline?.close()
    this.#inline = made.inline
    this.#handle = made.handle
    this.#end = made.end
    this.#fileEnd = made.end
    this.#syncedEnd = made.end
    await previous.close().catch(() => undefined)
  }

  /** Closes the handle (does not sync: `seal()` first for that). Errors are ignored. */
  async close(): Promise<void> {
    this.#inline?.close()
    this.#inline = undefined
    await this.#handle.close().catch(() => undefined)
  }

  /** A write failed: truncate back to `end` and make the cut durable, or poison. Always throws. */
  async #rollBack(err: unknown): Promise<never> {
    try {
      await this.#handle.truncate(this.#end)
      // Synced so that the rejected bytes cannot come back after a crash.
      await this.#handle.sync()
    } catch {
      throw this.#poison.poison(err)
    }
    this.#fileEnd = this.#end
    this.#syncedEnd = this.#end
    throw this.#writeFailed(err)
  }

  /** fdatasync, one at a time; a failure poisons, then cuts back before the next sync may start. */
  #syncSerial(): Promise<void> {
    return this.#inSyncOrder(async () => {
      try {
        await this.#handle.sync()
      } catch (err) {
        await this.#failedSync(err)
      }
    })
  }

  /** Runs `step` after every sync (and `dsync` write) before it, unless one of them poisoned. */
  #inSyncOrder(step: () => Promise<void>): Promise<void> {
    const run = this.#syncQueue.then(async () => {
      this.#poison.check()
      await step()
    })
    this.#syncsInFlight++
    this.#syncQueue = run.then(
      () => void this.#syncsInFlight--,
      () => void this.#syncsInFlight--,
    )
    return run
  }

  /** A sync failed (or a `dsync` write that may have been one): poison, cut back, throw. */
  async #failedSync(err: unknown): Promise<never> {
    // Poisoned first: nothing may run on this file while the cut is made.
    const poisoned = this.#poison.poison(err)
    await this.#forgetUnsynced()
    throw poisoned
  }

  /**
   * A sync failed: cut the file back to what the disk is known to hold, so that a reopen in this
   * process never builds acknowledged data on bytes that are not there. Best effort: the store is
   * poisoned anyway, and the next open's recovery is the last line of defence.
   */
  async #forgetUnsynced(): Promise<void> {
    try {
      await this.#handle.truncate(this.#syncedEnd)
      await this.#handle.sync()
      this.#end = this.#syncedEnd
      this.#fileEnd = this.#syncedEnd
    } catch {
      // nothing more to do
    }
  }
}

function defaultWriteFailed(cause: unknown): Error {
  return new WriteFailedError('a write failed and was rolled back; nothing was appended', { cause })
}
