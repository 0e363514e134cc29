import type { FileHandle, FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { WalPoisonedError, WalWriteError } from './errors.js'
import type { GroupWriter } from './group-commit.js'
import type { SegmentInfo } from './recovery.js'
import { SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, encodeHeader, segmentName } from './segment-header.js'

/**
 * Writes groups to the active (last) segment and rolls segments. Memory (`end`, `lastSeq`, the
 * segment list) changes only after the disk acknowledged. A failed write is rolled back
 * (truncate to the last acknowledged end, synced) before anything else is written; if that
 * fails too, or a sync fails, the writer is poisoned.
 */
export class SegmentWriter implements GroupWriter {
  readonly #fs: FileSystem
  readonly #dir: string
  readonly #segments: SegmentInfo[]
  readonly #segmentBytes: number
  readonly #syncAlways: boolean
  #handle: FileHandle
  #poisoned: WalPoisonedError | undefined
  /** End of the active segment as of its last successful sync: what the disk is known to hold. */
  #syncedEnd: number
  /** The syncs of the active segment, one after the other (see `#syncActive`). */
  #syncQueue: Promise<unknown> = Promise.resolve()

  private constructor(fs: FileSystem, dir: string, segments: SegmentInfo[], handle: FileHandle, segmentBytes: number, syncAlways: boolean) {
    this.#fs = fs
    this.#dir = dir
    this.#segments = segments
    this.#handle = handle
    this.#segmentBytes = segmentBytes
    this.#syncAlways = syncAlways
    // Recovery synced every segment it kept.
    this.#syncedEnd = segments[segments.length - 1]!.end
  }

  /** Opens the last of `segments` (recovered, non-empty list) for appending. */
  static async open(fs: FileSystem, dir: string, segments: SegmentInfo[], segmentBytes: number, syncAlways: boolean): Promise<SegmentWriter> {
    const active = segments[segments.length - 1]!
    const handle = await fs.open(join(dir, active.name), 'r+')
    return new SegmentWriter(fs, dir, segments, handle, segmentBytes, syncAlways)
  }

  get #active(): SegmentInfo {
    return this.#segments[this.#segments.length - 1]!
  }

  get room(): number {
    return this.#segmentBytes - this.#active.end
  }

  get activeEmpty(): boolean {
    return this.#active.end <= SEGMENT_HEADER_BYTES
  }

  async write(bytes: Uint8Array, _firstSeq: number, lastSeq: number): Promise<void> {
    if (this.#poisoned !== undefined) throw this.#poisoned
    const active = this.#active
    const at = active.end
    try {
      await this.#handle.write(bytes, at)
    } catch (err) {
      await this.#rollBack(at, err)
    }
    if (this.#syncAlways) {
      // The failed sync may have dropped these bytes (or earlier unsynced ones) for good.
      await this.#syncActive()
      this.#syncedEnd = at + bytes.byteLength
    }
    active.end = at + bytes.byteLength
    active.lastSeq = lastSeq
  }

  async roll(firstSeq: number): Promise<void> {
    if (this.#poisoned !== undefined) throw this.#poisoned
    if (!this.#syncAlways) {
      // Only the last segment may ever be torn: make this one durable before a newer one exists.
      await this.#syncActive()
    }
    const name = segmentName(firstSeq)
    const path = join(this.#dir, name)
    let handle: FileHandle
    try {
      handle = await this.#fs.open(path, 'wx')
    } catch (err) {
      throw new WalWriteError(err)
    }
    try {
      await handle.write(encodeHeader(SEGMENT_MAGIC, firstSeq), 0)
      await handle.sync()
      await this.#fs.syncDir(this.#dir)
    } catch (err) {
      // Remove the half-made segment durably, or give up on this log.
      try {
        await handle.close()
        await this.#fs.unlink(path)
        await this.#fs.syncDir(this.#dir)
      } catch {
        throw this.#poison(err)
      }
      throw new WalWriteError(err)
    }
    const previous = this.#handle
    this.#handle = handle
    this.#segments.push({ name, firstSeq, lastSeq: firstSeq - 1, end: SEGMENT_HEADER_BYTES })
    this.#syncedEnd = SEGMENT_HEADER_BYTES
    await previous.close().catch(() => undefined)
  }

  /** Makes everything written durable (used by close under sync 'none'). */
  async sync(): Promise<void> {
    const end = this.#active.end
    await this.#syncActive()
    this.#syncedEnd = end
  }

  async close(): Promise<void> {
    await this.#handle.close()
  }

  async #rollBack(at: number, err: unknown): Promise<never> {
    try {
      await this.#handle.truncate(at)
      // Synced so that the rejected bytes cannot come back after a crash.
      await this.#handle.sync()
      this.#syncedEnd = at
    } catch {
      throw this.#poison(err)
    }
    throw new WalWriteError(err)
  }

  /**
   * fdatasync of the active segment, one at a time. Two syncs in flight at once would let the
   * second succeed after the first failed (the data it dropped is no longer dirty), and the caller
   * of the second would build on data that is gone. A failure poisons the writer and cuts the file
   * back before the next sync may start.
   */
  #syncActive(): Promise<void> {
    const run = this.#syncQueue.then(async () => {
      if (this.#poisoned !== undefined) throw this.#poisoned
      try {
        await this.#handle.sync()
      } catch (err) {
        const poisoned = this.#poison(err)
        await this.#forgetUnsynced()
        throw poisoned
      }
    })
    this.#syncQueue = run.catch(() => undefined)
    return run
  }

  /**
   * A sync failed: the data it covered may be gone from the disk while the OS still serves it from
   * its cache (Linux marks the pages clean). Cut the segment back to what the disk is known to
   * hold, so that a reopen in this process never builds acknowledged entries on bytes that are not
   * there. Best effort: the log is poisoned anyway.
   */
  async #forgetUnsynced(): Promise<void> {
    try {
      await this.#handle.truncate(this.#syncedEnd)
      await this.#handle.sync()
      this.#active.end = this.#syncedEnd
    } catch {
      // nothing more to do: the next open's recovery is the last line of defence
    }
  }

  #poison(err: unknown): WalPoisonedError {
    this.#poisoned ??= new WalPoisonedError(err)
    return this.#poisoned
  }
}
