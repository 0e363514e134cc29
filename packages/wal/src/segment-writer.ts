import { DurableAppendFile, type Poison } from '@quire/durable'
import type { FileHandle, FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { WalWriteError } from './errors.js'
import { WAL_PREALLOCATE_BYTES } from './limits.js'
import type { SegmentInfo } from './recovery.js'
import type { LogWriter } from './read-only-writer.js'
import { SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, encodeHeader, segmentName } from './segment-header.js'

/**
 * Writes groups to the active (last) segment and rolls segments. The append discipline (write at
 * the end, durable rollback of a failed write, one sync at a time, cut back and poison after a
 * failed sync) is `DurableAppendFile`'s; this class knows what a segment is: its size limit,
 * its header, and the segment list that memory keeps in step with what the disk acknowledged.
 */
export class SegmentWriter implements LogWriter {
  readonly #fs: FileSystem
  readonly #dir: string
  readonly #segments: SegmentInfo[]
  readonly #segmentBytes: number
  readonly #syncAlways: boolean
  readonly #file: DurableAppendFile
  readonly #poison: Poison

  private constructor(fs: FileSystem, dir: string, segments: SegmentInfo[], file: DurableAppendFile, segmentBytes: number, syncAlways: boolean, poison: Poison) {
    this.#fs = fs
    this.#dir = dir
    this.#segments = segments
    this.#file = file
    this.#segmentBytes = segmentBytes
    this.#syncAlways = syncAlways
    this.#poison = poison
  }

  /** Opens the last of `segments` (recovered and synced, non-empty list) for appending. */
  static async open(fs: FileSystem, dir: string, segments: SegmentInfo[], segmentBytes: number, syncAlways: boolean, poison: Poison): Promise<SegmentWriter> {
    const active = segments[segments.length - 1]!
    const file = await DurableAppendFile.open(fs, join(dir, active.name), {
      end: active.end,
      poison,
      writeFailed: (cause) => new WalWriteError(cause),
      // Under sync 'always': overwrite zeroed free space (FORMAT.md), through O_DSYNC (one write
      // per group, no separate fdatasync). Under 'none' neither buys anything.
      dsync: syncAlways,
      preallocate: syncAlways ? WAL_PREALLOCATE_BYTES : 0,
      maxFileEnd: segmentBytes,
    })
    return new SegmentWriter(fs, dir, segments, file, segmentBytes, syncAlways, poison)
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
    const active = this.#active
    try {
      await this.#file.append(bytes, { sync: this.#syncAlways })
    } finally {
      // A failed sync may have cut the segment back to what the disk holds.
      active.end = this.#file.end
    }
    active.lastSeq = lastSeq
  }

  async roll(firstSeq: number): Promise<void> {
    const previous = this.#active
    const name = segmentName(firstSeq)
    try {
      await this.#file.roll((): Promise<{ handle: FileHandle; end: number }> => this.#createSegment(join(this.#dir, name), firstSeq))
    } catch (err) {
      previous.end = this.#file.end
      throw err
    }
    this.#segments.push({ name, firstSeq, lastSeq: firstSeq - 1, end: SEGMENT_HEADER_BYTES })
  }

  /** Makes everything written durable (used by close and truncateBefore under sync 'none'). */
  async sync(): Promise<void> {
    try {
      await this.#file.sync()
    } finally {
      this.#active.end = this.#file.end
    }
  }

  async close(): Promise<void> {
    // A closed log's segments end with their last record (FORMAT.md, "Free space"): cut the zeros.
    // Only tidying (zeros are never read as data), so a failure here loses nothing acknowledged.
    if (!this.#poison.poisoned) await this.#file.seal().catch(() => undefined)
    await this.#file.close()
  }

  /**
   * A new segment, durably: header written and synced, then its name (directory sync). A failure
   * removes the half-made file durably (the roll was not done: `WalWriteError`), or poisons the log.
   */
  async #createSegment(path: string, firstSeq: number): Promise<{ handle: FileHandle; end: number }> {
    let handle: FileHandle
    try {
      handle = await this.#fs.open(path, 'wx', { dsync: this.#syncAlways })
    } catch (err) {
      throw new WalWriteError(err)
    }
    try {
      await handle.write(encodeHeader(SEGMENT_MAGIC, firstSeq), 0)
      await handle.sync()
      await this.#fs.syncDir(this.#dir)
    } catch (err) {
      try {
        await handle.close()
        await this.#fs.unlink(path)
        await this.#fs.syncDir(this.#dir)
      } catch {
        throw this.#poison.poison(err)
      }
      throw new WalWriteError(err)
    }
    return { handle, end: SEGMENT_HEADER_BYTES }
  }
}
