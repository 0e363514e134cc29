import { DurableAppendFile, type PendingRequest, type Poison } from '@quire/durable'
import { isFsError, type FileHandle, type FileSystem } from '@quire/vfs'
import { WriteFailedError } from './errors.js'
import type { LogFiles } from './files.js'
import { encodeTransactions, formatHeader, formatPad, PAD_MIN_BYTES, PAD_PREFIX } from './format.js'
import { MAX_GROUP_BYTES } from './limits.js'
import type { SyncMode } from './options.js'
import { startNextFile } from './rotation.js'

/** What a group resolves each of its requests with: an append's entry, or a batch's first `seq`. */
export type WriteResult<T> = number | { readonly seq: number; readonly record: T }

/** One append, batch or `sync()` waiting for its group (`bytes`: upper bound of its encoded lines). */
export interface AppendRequest<T> extends PendingRequest<WriteResult<T>> {
  /** The records' JSON text (none for a `sync()`). */
  readonly records: string[]
  /** For `append`: the record, so the group resolves straight with its `LogEntry`. */
  readonly record: T | undefined
  /** Force a sync of this group (from `sync()`), whatever the sync mode. */
  readonly sync: boolean
}

/** What the writer of an open log starts from (recovery's result and the settings). */
export interface WriterInit {
  readonly fs: FileSystem
  readonly files: LogFiles
  /** The log's poison, shared with its group commit and lifecycle. */
  readonly poison: Poison
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
 * Writes groups to the active file in this format: the lines, then free space after them (the
 * preallocated pad, see FORMAT.md), and rotates into archives. The durability discipline (memory
 * moves only after the disk acknowledged, a failed write cut back durably, one sync at a time, a
 * failed sync poisons and cuts back to what the disk holds, seal before a roll) is the shared
 * `DurableAppendFile` of `@quire/durable`.
 */
export class LogWriter<T> {
  readonly #fs: FileSystem
  readonly #files: LogFiles
  readonly #poison: Poison
  readonly #syncMode: SyncMode
  readonly #maxFileBytes: number | undefined
  readonly #preallocateBytes: number
  readonly #archives: number[]
  /** The active file; its `fileEnd` past `end` is the free-space line, when there is one. */
  readonly #file: DurableAppendFile
  #headerEnd: number
  #lastSeq: number

  constructor(init: WriterInit) {
    this.#fs = init.fs
    this.#files = init.files
    this.#poison = init.poison
    this.#syncMode = init.syncMode
    this.#maxFileBytes = init.maxFileBytes
    this.#preallocateBytes = init.preallocateBytes
    this.#archives = init.archives
    this.#file = new DurableAppendFile(init.handle, {
      end: init.end,
      poison: init.poison,
      writeFailed: (cause) => new WriteFailedError(init.files.path, cause),
    })
    this.#headerEnd = formatHeader(init.startSeq).length
    this.#lastSeq = init.lastSeq
  }

  /** Offset just past the last acknowledged line of the active file. */
  get end(): number {
    return this.#file.end
  }

  /** `seq` of the last acknowledged record. */
  get lastSeq(): number {
    return this.#lastSeq
  }

  /** Archive numbers, ascending (the same array rotation pushes onto). */
  get archives(): readonly number[] {
    return this.#archives
  }

  /** How many of `queue`'s requests the next group takes: no more than the active file may still grow by (the first always). */
  take(queue: readonly AppendRequest<T>[]): number {
    const limit = this.#maxFileBytes === undefined ? MAX_GROUP_BYTES : Math.min(MAX_GROUP_BYTES, Math.max(0, this.#maxFileBytes - this.#file.end))
    let bytes = 0
    let n = 0
    for (; n < queue.length; n++) {
      const size = queue[n]!.bytes
      if (n > 0 && bytes + size > limit) break
      bytes += size
    }
    return n
  }

  /**
   * Writes (and, with `sync: 'always'` or a `sync()` in the group, syncs) one group; resolves with
   * the `seq` of its first record once the disk acknowledged.
   *
   * @throws `WriteFailedError` when the write failed and was rolled back (nothing of the group is
   *   in the log; the log goes on); the poison error otherwise (a failed sync, rollback or rotation).
   */
  async write(group: readonly AppendRequest<T>[]): Promise<number> {
    this.#poison.check()
    let count = 0
    let bound = 0
    let forceSync = false
    for (const r of group) {
      count += r.records.length
      bound += r.bytes
      forceSync ||= r.sync
    }
    const file = this.#file
    if (count > 0 && this.#maxFileBytes !== undefined && file.end > this.#headerEnd && file.end + bound > this.#maxFileBytes) {
      await this.#rotate()
    }
    const firstSeq = this.#lastSeq + 1
    const sync = this.#syncMode === 'always' || forceSync
    if (count > 0) {
      const out = Buffer.allocUnsafe(bound + PAD_PREFIX.length)
      const written = encodeTransactions(out, 0, firstSeq, group)
      const lines = out.subarray(0, written)
      if (this.#preallocateBytes === 0) {
        await file.append(lines, { sync })
      } else if (written + PAD_MIN_BYTES <= file.fileEnd - file.end) {
        // Into the free space: the lines, then a new start for the rest of the pad line, whose
        // spaces and end are already on disk. Only the lines are acknowledged.
        PAD_PREFIX.copy(out, written)
        await file.append(out.subarray(0, written + PAD_PREFIX.length), { sync, advance: written })
      } else {
        // Not enough room: the lines and a fresh pad line (the file grows, once per that many bytes),
        // no more free space than the file may still grow by before it rotates.
        let padBytes = this.#preallocateBytes
        if (this.#maxFileBytes !== undefined) padBytes = Math.min(padBytes, this.#maxFileBytes - file.end - written)
        const pad = formatPad(Math.max(PAD_MIN_BYTES, padBytes))
        try {
          await file.append(Buffer.concat([lines, pad]), { sync, advance: written })
        } catch (err) {
          // A disk too full for the free space may still hold the lines: the pad is an
          // optimisation, never a reason to refuse an append (issue 13). The failed write was
          // cut back; write the lines alone.
          if (!(err instanceof WriteFailedError) || !isFsError(err.cause, 'ENOSPC')) throw err
          await file.append(lines, { sync })
        }
      }
    } else if (sync) {
      await file.sync()
    }
    // Acknowledged: only now does memory move.
    this.#lastSeq += count
    return firstSeq
  }

  /**
   * Leaves the file as a clean close does (free space cut, everything synced) and closes the
   * handle. Nothing is cut when poisoned: recovery judges what is there.
   *
   * @returns the poison error when the cut or the sync failed (the handle is closed all the same).
   */
  async close(): Promise<Error | undefined> {
    let failure: Error | undefined
    if (!this.#poison.poisoned) {
      try {
        await this.#file.seal()
      } catch (err) {
        failure = err instanceof Error ? err : this.#poison.poison(err)
      }
    }
    await this.#file.close()
    return failure
  }

  /** Seals the active file as the next archive and starts a new one; a failure poisons. */
  async #rotate(): Promise<void> {
    await this.#file.roll(async (previous) => {
      try {
        await previous.close()
        const next = await startNextFile(this.#fs, this.#files, this.#archives, this.#lastSeq + 1)
        this.#headerEnd = next.headerEnd
        return { handle: next.handle, end: next.headerEnd }
      } catch (err) {
        throw this.#poison.poison(err)
      }
    })
  }
}
