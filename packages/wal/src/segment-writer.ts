import { DurableAppendFile, openInlineWriter, type InlineWriter, type NextFile, type Poison } from '@quire/durable'
import type { FileHandle, FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { WalWriteError } from './errors.js'
import { WAL_PREALLOCATE_BYTES } from './limits.js'
import type { SegmentInfo } from './recovery.js'
import type { LogWriter } from './read-only-writer.js'
import { SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, encodeHeader, segmentName } from './segment-header.js'

/** What a {@link SegmentWriter} needs of `Wal.open`'s options. */
export interface SegmentWriterOptions {
  readonly segmentBytes: number
  readonly syncAlways: boolean
  readonly inline: boolean
}

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
  /** `io: 'inline'`: every segment also gets a synchronous `O_DSYNC` descriptor. */
  readonly #inline: boolean
  readonly #file: DurableAppendFile
  readonly #poison: Poison

  private constructor(fs: FileSystem, dir: string, segments: SegmentInfo[], file: DurableAppendFile, options: SegmentWriterOptions, poison: Poison) {
    this.#fs = fs
    this.#dir = dir
    this.#segments = segments
    this.#file = file
    this.#segmentBytes = options.segmentBytes
    this.#syncAlways = options.syncAlways
    this.#inline = options.inline
    this.#poison = poison
  }

  /** Opens the last of `segments` (recovered and synced, non-empty list) for appending. */
  static async open(fs: FileSystem, dir: string, segments: SegmentInfo[], options: SegmentWriterOptions, poison: Poison): Promise<SegmentWriter> {
    const { segmentBytes, syncAlways } = options
    const active = segments[segments.length - 1]!
    const path = join(dir, active.name)
    const inline = options.inline ? openInlineWriter(path) : undefined
    let file: DurableAppendFile
    try {
      file = await DurableAppendFile.open(fs, path, {
        end: active.end,
        poison,
        writeFailed: (cause) => new WalWriteError(cause),
        // Under sync 'always': overwrite zeroed free space (FORMAT.md), through O_DSYNC (one write
        // per group, no separate fdatasync). Under 'none' neither buys anything.
        dsync: syncAlways,
        preallocate: syncAlways ? WAL_PREALLOCATE_BYTES : 0,
        maxFileEnd: segmentBytes,
        ...(inline === undefined ? {} : { inline }),
      })
    } catch (err) {
      inline?.close()
      throw err
    }
    return new SegmentWriter(fs, dir, segments, file, options, poison)
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

  async write(bytes: Uint8Array, _firstSeq: number, lastSeq: number, requests: number): Promise<void> {
    const active = this.#active
    try {
      // io 'inline' blocks for a lone caller only: a group of many shares one thread-pool hop,
      // and the event loop stays free while its sync runs.
      await this.#file.append(bytes, { sync: this.#syncAlways, inline: this.#inline && requests === 1 })
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
      await this.#file.roll(() => this.#createSegment(join(this.#dir, name), firstSeq))
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
  async #createSegment(path: string, firstSeq: number): ReturnType<NextFile> {
    let handle: FileHandle
    try {
      handle = await this.#fs.open(path, 'wx', { dsync: this.#syncAlways })
    } catch (err) {
      throw new WalWriteError(err)
    }
    let inline: InlineWriter | undefined
    try {
      await handle.write(encodeHeader(SEGMENT_MAGIC, firstSeq), 0)
      await handle.sync()
      await this.#fs.syncDir(this.#dir)
      if (this.#inline) inline = openInlineWriter(path)
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
    return { handle, end: SEGMENT_HEADER_BYTES, ...(inline === undefined ? {} : { inline }) }
  }
}
