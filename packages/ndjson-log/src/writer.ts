import { isFsError, type FileHandle, type FileSystem } from '@quire/vfs'
import { PoisonedError, WriteFailedError } from './errors.js'
import type { LogFiles } from './files.js'
import { encodeTransactions, formatHeader, formatPad, PAD_MIN_BYTES, PAD_PREFIX } from './format.js'
import { MAX_GROUP_BYTES } from './limits.js'
import type { SyncMode } from './options.js'
import { rotateActiveFile } from './rotation.js'

/** One append, batch or `sync()` waiting for its group. */
export interface PendingWrite<T> {
  /** The records' JSON text (none for a `sync()`). */
  readonly records: string[]
  /** For `append`: the record, so the group resolves straight with its `LogEntry`. */
  readonly record: T | undefined
  /** Upper bound of the encoded bytes. */
  readonly bytes: number
  /** Force a sync of this group (from `sync()`), whatever the sync mode. */
  readonly sync: boolean
}

/** What a group resolves each of its writes with: an append's entry, or a batch's first `seq`. */
export type WriteResult<T> = number | { readonly seq: number; readonly record: T }

/** What the writer of an open log starts from (recovery's result and the settings). */
export interface WriterInit {
  readonly fs: FileSystem
  readonly files: LogFiles
  readonly handle: FileHandle
  /** Offset just past the last acknowledged line (recovery synced everything before it). */
  readonly end: number
  readonly startSeq: number
  readonly lastSeq: number
  /** Archive numbers, ascending; the writer pushes onto it when it rotates. */
  readonly archives: number[]
  readonly syncMode: SyncMode
  readonly maxFileBytes: number | undefined
  readonly preallocateBytes: number
}

/**
 * Writes groups to the active file: the lines, then free space after them (the preallocated pad,
 * see FORMAT.md), then `fdatasync`; rotates into archives. Memory (`end`, `lastSeq`) moves only
 * after the disk acknowledged. A failed write is cut back durably (or poisons); a failed sync
 * poisons, then cuts the file back to what the disk is known to hold.
 */
export class LogWriter<T> {
  readonly #fs: FileSystem
  readonly #files: LogFiles
  readonly #syncMode: SyncMode
  readonly #maxFileBytes: number | undefined
  readonly #preallocateBytes: number
  readonly #archives: number[]
  #handle: FileHandle
  /** Offset just past the last acknowledged line. */
  #end: number
  /** End of the data as of the last successful sync: what the disk is known to hold. */
  #syncedEnd: number
  /** The file's length: past `#end` lies the free-space line, when there is one. */
  #padEnd: number
  #headerEnd: number
  #lastSeq: number
  #poison: { cause: unknown } | undefined

  constructor(init: WriterInit) {
    this.#fs = init.fs
    this.#files = init.files
    this.#syncMode = init.syncMode
    this.#maxFileBytes = init.maxFileBytes
    this.#preallocateBytes = init.preallocateBytes
    this.#archives = init.archives
    this.#handle = init.handle
    this.#end = init.end
    this.#syncedEnd = init.end
    this.#padEnd = init.end
    this.#headerEnd = formatHeader(init.startSeq).length
    this.#lastSeq = init.lastSeq
  }

  /** Offset just past the last acknowledged line of the active file. */
  get end(): number {
    return this.#end
  }

  /** `seq` of the last acknowledged record. */
  get lastSeq(): number {
    return this.#lastSeq
  }

  /** Archive numbers, ascending (the same array rotation pushes onto). */
  get archives(): readonly number[] {
    return this.#archives
  }

  get poisoned(): boolean {
    return this.#poison !== undefined
  }

  /** @throws `PoisonedError` with the first cause once poisoned. */
  checkPoison(): void {
    if (this.#poison !== undefined) throw new PoisonedError(this.#files.path, this.#poison.cause)
  }

  /** The most bytes the next group may take: no more than the active file may still grow by. */
  groupLimitBytes(): number {
    if (this.#maxFileBytes === undefined) return MAX_GROUP_BYTES
    return Math.min(MAX_GROUP_BYTES, Math.max(0, this.#maxFileBytes - this.#end))
  }

  /** Writes (and syncs) one group; resolves with each entry's `LogEntry` (append) or first seq. */
  async flush(entries: readonly PendingWrite<T>[]): Promise<WriteResult<T>[]> {
    this.checkPoison()
    let count = 0
    let bound = 0
    let forceSync = false
    for (const e of entries) {
      count += e.records.length
      bound += e.bytes
      forceSync ||= e.sync
    }
    if (count > 0 && this.#maxFileBytes !== undefined && this.#end > this.#headerEnd && this.#end + bound > this.#maxFileBytes) {
      await this.#rotate()
    }
    const firstSeq = this.#lastSeq + 1
    let written = 0
    let padEnd = this.#padEnd
    /** True when this write also appends a fresh pad line (the file grows by the free space). */
    let freshPad = false
    if (count > 0) {
      const out = Buffer.allocUnsafe(bound + PAD_PREFIX.length)
      written = encodeTransactions(out, 0, firstSeq, entries)
      let data = out.subarray(0, written)
      if (this.#preallocateBytes > 0) {
        if (written + PAD_MIN_BYTES <= this.#padEnd - this.#end) {
          // Into the free space: the lines, then a new start for the rest of the pad line, whose
          // spaces and end are already on disk.
          PAD_PREFIX.copy(out, written)
          data = out.subarray(0, written + PAD_PREFIX.length)
        } else {
          // Not enough room: the lines and a fresh pad line (the file grows, once per that many bytes).
          let padBytes = this.#preallocateBytes
          // No more free space than the file may still grow by before it rotates.
          if (this.#maxFileBytes !== undefined) padBytes = Math.min(padBytes, this.#maxFileBytes - this.#end - written)
          const pad = formatPad(Math.max(PAD_MIN_BYTES, padBytes))
          data = Buffer.concat([data, pad])
          padEnd = this.#end + written + pad.length
          freshPad = true
        }
      } else {
        padEnd = this.#end + written
      }
      try {
        await this.#handle.write(data, this.#end)
      } catch (err) {
        // A disk too full for the free space may still hold the lines: the pad is an optimisation,
        // never a reason to refuse an append (issue 13). Cut back, then write the lines alone.
        if (!freshPad || !isFsError(err, 'ENOSPC')) await this.#rollback(err)
        await this.#cutBack(err)
        try {
          await this.#handle.write(out.subarray(0, written), this.#end)
        } catch (again) {
          await this.#rollback(again)
        }
        padEnd = this.#end + written
      }
    }
    if (this.#syncMode === 'always' || forceSync) {
      try {
        await this.#handle.sync()
      } catch (err) {
        // Poisoned first: nothing may run on this log while the cut is made.
        const poisoned = this.#poisonWith(err)
        await this.#forgetUnsynced()
        throw poisoned
      }
      this.#syncedEnd = this.#end + written
    }
    // Acknowledged: only now does memory move.
    this.#end += written
    this.#padEnd = padEnd
    this.#lastSeq += count
    const results: WriteResult<T>[] = []
    let seq = firstSeq
    for (const e of entries) {
      results.push(e.record === undefined ? seq : { seq, record: e.record })
      seq += e.records.length
    }
    return results
  }

  /**
   * Leaves the file as a clean close does (free space cut; with `sync: 'none'`, synced) and closes
   * the handle. Nothing is cut when poisoned: recovery judges what is there.
   *
   * @returns a `PoisonedError` when the cut or the sync failed (the handle is closed all the same).
   */
  async close(): Promise<PoisonedError | undefined> {
    let failure: PoisonedError | undefined
    try {
      if (this.#poison === undefined) {
        const padded = this.#padEnd > this.#end
        if (padded) await this.#handle.truncate(this.#end)
        if (padded || this.#syncMode === 'none') await this.#handle.sync()
      }
    } catch (err) {
      failure = this.#poisonWith(err)
    }
    await this.#handle.close().catch(() => undefined)
    return failure
  }

  /**
   * A sync failed: the data it covered may be gone from the disk while the OS still serves it from
   * its cache (Linux marks the pages clean). Cut the file back to what the disk is known to hold,
   * so that a reopen in this process reads what a power loss would leave, and never builds new
   * acknowledged records on bytes that are not there. Best effort: the log is poisoned anyway.
   */
  async #forgetUnsynced(): Promise<void> {
    try {
      await this.#handle.truncate(this.#syncedEnd)
      await this.#handle.sync()
      this.#end = this.#syncedEnd
      this.#padEnd = this.#syncedEnd
    } catch {
      // nothing more to do: the next open's recovery is the last line of defence
    }
  }

  /** A write failed: cut what it may have left and make the cut durable, or poison the log. */
  async #rollback(err: unknown): Promise<never> {
    await this.#cutBack(err)
    throw new WriteFailedError(this.#files.path, err)
  }

  /** Cuts the file back to its last acknowledged end, durably (free space included), or poisons the log. */
  async #cutBack(err: unknown): Promise<void> {
    try {
      await this.#handle.truncate(this.#end)
      await this.#handle.sync()
      this.#padEnd = this.#end
      this.#syncedEnd = this.#end
    } catch (repairErr) {
      throw this.#poisonWith(err, repairErr)
    }
  }

  #poisonWith(err: unknown, repairErr?: unknown): PoisonedError {
    this.#poison ??= { cause: repairErr === undefined ? err : new AggregateError([err, repairErr], 'write and repair failed') }
    return new PoisonedError(this.#files.path, this.#poison.cause)
  }

  /** Seals the active file as the next archive and starts a new one; a failure poisons. */
  async #rotate(): Promise<void> {
    try {
      const next = await rotateActiveFile(this.#fs, this.#files, this.#archives, this.#handle, this.#end, this.#padEnd, this.#lastSeq + 1)
      this.#handle = next.handle
      this.#end = next.headerEnd
      this.#syncedEnd = next.headerEnd
      this.#padEnd = next.headerEnd
      this.#headerEnd = next.headerEnd
    } catch (err) {
      throw this.#poisonWith(err)
    }
  }
}
