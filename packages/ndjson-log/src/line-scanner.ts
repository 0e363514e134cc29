import { isAscii } from 'node:buffer'
import type { FileHandle } from '@quire/vfs'
import { chunkCrc32, type ChunkCrc32 } from '@quire/codec'
import { parseLine, type BadLine, type ParsedLine } from './format.js'
import { MAX_LINE_BYTES, READ_CHUNK_BYTES } from './limits.js'

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/** One line of a file as found on disk, its ending (`\n`, or `\r\n`) excluded: `buf[start, end)`. */
export interface RawLine {
  readonly buf: Buffer
  readonly start: number
  readonly end: number
  /** File offset of the line's first byte. */
  readonly offset: number
  /** File offset just past the line's newline. */
  readonly next: number
  /** 1-based line number in the file. */
  readonly lineNo: number
  /** True when the line is longer than {@link MAX_LINE_BYTES}; `buf` then holds none of it. */
  readonly overlong: boolean
}

const OVERLONG: BadLine = { kind: 'bad', reason: 'line too long', crcValid: false }

/**
 * Bytes of a chunk decoded to one string at a time by {@link LineChunk.text}. Below V8's large-object
 * threshold (128 KiB): a larger string is allocated in large-object space, which made decoding a
 * 256 KiB chunk at once eight times slower per byte (Node 20).
 */
const TEXT_WINDOW_BYTES = 64 * 1024

/**
 * The complete lines of one chunk of a file, as offsets into the chunk's buffer: three numbers a
 * line instead of an object a line (reading spends much of its time on the garbage it makes).
 * Line `i` is `buf[starts[i], ends[i])`, its ending excluded; `starts[i]` is -1 for a line longer
 * than {@link MAX_LINE_BYTES}, whose bytes were not kept (only a chunk's first line can be one).
 */
export class LineChunk {
  readonly buf: Buffer
  /** File offset of `buf[0]`. */
  readonly base: number
  /** Line number of line 0 (1-based in the file). */
  readonly firstLineNo: number
  readonly starts: number[] = []
  readonly ends: number[] = []
  /** Index in `buf` just past each line's newline. */
  readonly nexts: number[] = []
  /** File offset of the overlong line's first byte, when line 0 is one. */
  overlongOffset = 0
  /** Bytes of `buf` read from the file (the rest of it is not). */
  readonly #length: number
  /** `buf[#textStart, #textEnd)` decoded, or undefined when those bytes are not all ASCII. */
  #text: string | undefined
  #textStart = 0
  #textEnd = 0
  /** Checksums this chunk's lines; made at the first line checked. */
  #crc: ChunkCrc32 | undefined

  constructor(buf: Buffer, length: number, base: number, firstLineNo: number) {
    this.buf = buf
    this.#length = length
    this.base = base
    this.firstLineNo = firstLineNo
  }

  get count(): number {
    return this.starts.length
  }

  /** File offset of line `i`'s first byte. */
  offset(i: number): number {
    const start = this.starts[i]!
    return start < 0 ? this.overlongOffset : this.base + start
  }

  /** File offset just past line `i`'s newline. */
  next(i: number): number {
    return this.base + this.nexts[i]!
  }

  /** Line `i` checked and parsed (see `parseLine`); an overlong line is bad. */
  parse(i: number): ParsedLine | BadLine {
    const start = this.starts[i]!
    if (start < 0) return OVERLONG
    // The buffer is never written after it was read: a copy of it can checksum its lines.
    this.#crc ??= chunkCrc32(this.buf, this.#length)
    return parseLine(this.buf, start, this.ends[i]!, this.#crc)
  }

  /**
   * `buf[start, end)` decoded as UTF-8 (as `Buffer#toString` does it). Where the bytes are ASCII,
   * the chunk is decoded a window at a time and sliced: one copy of the bytes per window instead
   * of one call into native code per line.
   */
  text(start: number, end: number): string {
    if (start < this.#textStart || end > this.#textEnd) {
      const windowEnd = Math.min(this.#length, Math.max(end, start + TEXT_WINDOW_BYTES))
      const window = this.buf.subarray(start, windowEnd)
      // ASCII decodes the same as Latin-1 and as UTF-8, one character a byte, so a string offset
      // is a byte offset; other bytes are decoded line by line.
      this.#text = isAscii(window) ? window.toString('latin1') : undefined
      this.#textStart = start
      this.#textEnd = windowEnd
    }
    const text = this.#text
    return text === undefined ? this.buf.toString('utf8', start, end) : text.slice(start - this.#textStart, end - this.#textStart)
  }

  /** Line `i` as one object, for the rare caller that wants one (a header). */
  line(i: number): RawLine {
    const start = this.starts[i]!
    const overlong = start < 0
    return {
      buf: this.buf,
      start: overlong ? 0 : start,
      end: overlong ? 0 : this.ends[i]!,
      offset: this.offset(i),
      next: this.next(i),
      lineNo: this.firstLineNo + i,
      overlong,
    }
  }
}

/** What {@link readLines} found after the last complete line. */
export interface LinesEnd {
  /** Offset just past the last complete line (its newline). */
  readonly end: number
  /** Bytes after `end` that form no complete line (a torn tail), or 0. */
  readonly partialBytes: number
  /** Line number the partial line would have. */
  readonly partialLineNo: number
}

/** A read in flight: the chunk's buffer (a carried partial line first) and what the read gives. */
interface PendingRead {
  readonly buf: Buffer
  readonly carryLength: number
  /** File offset the read starts at. */
  readonly at: number
  /** How many bytes the read gave. */
  readonly got: Promise<number>
  /** Settles with the read, never rejects: a handler from the start, so that a failed read the
   * caller has not reached yet is no unhandled rejection; and what an early stop waits for. */
  readonly settled: Promise<unknown>
}

/** Starts reading the chunk at `at` (at most `to`), after `carry`. */
function startRead(handle: FileHandle, at: number, to: number, carry: Buffer | undefined): PendingRead {
  const carryLength = carry?.length ?? 0
  // A line longer than a chunk is carried into the next read: reads grow with it, so that a long
  // line is copied a few times rather than once per chunk, while the buffer stays within
  // MAX_LINE_BYTES plus a chunk.
  const want = Math.min(Math.max(READ_CHUNK_BYTES, Math.min(carryLength, MAX_LINE_BYTES - carryLength)), to - at)
  const buf = Buffer.allocUnsafe(carryLength + want)
  if (carry !== undefined) carry.copy(buf, 0)
  const got = handle.read(buf.subarray(carryLength, carryLength + want), at)
  const settled = got.then(
    () => undefined,
    () => undefined,
  )
  return { buf, carryLength, at, got, settled }
}

/**
 * Reads `handle` from `from` to `to` chunk by chunk and yields the complete lines of each chunk
 * (never an empty chunk), in order; returns what lies after the last complete line. Lines longer
 * than {@link MAX_LINE_BYTES} are marked and not buffered, so a hostile file cannot make it
 * allocate without bound. A chunk's buffer is its own: lines stay valid after the next chunk.
 * The next chunk is read while the caller works on this one (the disk and the CPU overlap); a
 * read still in flight when the caller stops early is waited for, so the handle may be closed.
 */
export async function* readLines(
  handle: FileHandle,
  from: number,
  to: number,
  firstLineNo: number,
): AsyncGenerator<LineChunk, LinesEnd, undefined> {
  let position = from
  let lineNo = firstLineNo
  let carryOffset = from
  let skipping = false
  let pending = position < to ? startRead(handle, position, to, undefined) : undefined
  try {
    while (pending !== undefined) {
      const { buf, carryLength, at } = pending
      const read = pending.got
      pending = undefined
      const got = await read
      if (got === 0) break
      const length = carryLength + got
      const base = at - carryLength // file offset of buf[0]
      position = at + got
      const chunk = new LineChunk(buf, length, base, lineNo)
      const { starts, ends, nexts } = chunk
      let lineStart = 0
      for (;;) {
        const nl = buf.indexOf(NEWLINE, lineStart)
        if (nl === -1 || nl >= length) break
        if (skipping) {
          skipping = false
          chunk.overlongOffset = carryOffset
          starts.push(-1)
          ends.push(-1)
        } else {
          // A line ending `\r\n` (a text editor's doing) is a line ending, not part of the line.
          starts.push(lineStart)
          ends.push(nl > lineStart && buf[nl - 1] === CARRIAGE_RETURN ? nl - 1 : nl)
        }
        nexts.push(nl + 1)
        lineNo++
        lineStart = nl + 1
      }
      if (!skipping) carryOffset = base + lineStart
      let carry: Buffer | undefined
      if (!skipping && length - lineStart > MAX_LINE_BYTES) skipping = true
      else if (!skipping && lineStart < length) carry = buf.subarray(lineStart, length)
      if (position < to) pending = startRead(handle, position, to, carry)
      if (chunk.count > 0) yield chunk
    }
  } finally {
    if (pending !== undefined) await pending.settled
  }
  return { end: carryOffset, partialBytes: position - carryOffset, partialLineNo: lineNo }
}
