import { WriteFailedError } from '@quire/errors'
import type { FileHandle, FileSystem } from '@quire/vfs'
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
}

/** What {@link DurableAppendFile.roll} is given to make the next file. */
export type NextFile = (previous: FileHandle) => Promise<{ readonly handle: FileHandle; readonly end: number }>

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
  readonly #poison: Poison
  readonly #writeFailed: (cause: unknown) => Error

  /** Takes over `handle` (open for writing, its data up to `options.end` durable). */
  constructor(handle: FileHandle, options: AppendFileOptions) {
    this.#handle = handle
    this.#end = options.end
    this.#fileEnd = options.end
    this.#syncedEnd = options.end
    this.#poison = options.poison ?? new Poison()
    this.#writeFailed = options.writeFailed ?? defaultWriteFailed
  }

  /** Opens `path` (`'r+'`) for appending at `options.end`. */
  static async open(fs: FileSystem, path: string, options: AppendFileOptions): Promise<DurableAppendFile> {
    return new DurableAppendFile(await fs.open(path, 'r+'), options)
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
   * Writes `bytes` at `end`; with `options.sync`, then syncs. `end` moves by `options.advance`
   * (default: all of `bytes`) only once that succeeded; bytes past the advance (free space a log
   * preallocates) are written but not acknowledged, and a later append overwrites them.
   *
   * @throws the poison error when poisoned before, or when the sync or the rollback failed (the
   *   outcome is unknown: reopen); the `writeFailed` error when the write failed and was rolled
   *   back (nothing appended, the file is as before, the next append may succeed).
   */
  async append(bytes: Uint8Array, options: { readonly sync?: boolean; readonly advance?: number } = {}): Promise<void> {
    this.#poison.check()
    const at = this.#end
    const advance = options.advance ?? bytes.byteLength
    try {
      await this.#handle.write(bytes, at)
    } catch (err) {
      await this.#rollBack(err)
    }
    this.#fileEnd = Math.max(this.#fileEnd, at + bytes.byteLength)
    if (options.sync === true) {
      await this.#syncSerial()
      this.#syncedEnd = at + advance
    }
    this.#end = at + advance
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
    this.#handle = made.handle
    this.#end = made.end
    this.#fileEnd = made.end
    this.#syncedEnd = made.end
    await previous.close().catch(() => undefined)
  }

  /** Closes the handle (does not sync: `seal()` first for that). Errors are ignored. */
  async close(): Promise<void> {
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
    const run = this.#syncQueue.then(async () => {
      this.#poison.check()
      try {
        await this.#handle.sync()
      } catch (err) {
        // Poisoned first: nothing may run on this file while the cut is made.
        const poisoned = this.#poison.poison(err)
        await this.#forgetUnsynced()
        throw poisoned
      }
    })
    this.#syncQueue = run.catch(() => undefined)
    return run
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
