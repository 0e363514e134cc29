import type { FileHandle } from '@quire/vfs'
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

/** What {@link readLines} found after the last complete line. */
export interface LinesEnd {
  /** Offset just past the last complete line (its newline). */
  readonly end: number
  /** Bytes after `end` that form no complete line (a torn tail), or 0. */
  readonly partialBytes: number
  /** Line number the partial line would have. */
  readonly partialLineNo: number
}

/**
 * Reads `handle` from `from` to `to` chunk by chunk and yields the complete lines of each chunk,
 * in order; returns what lies after the last complete line. Lines longer than
 * {@link MAX_LINE_BYTES} come back with `overlong` and are not buffered, so a hostile file cannot
 * make it allocate without bound.
 */
export async function* readLines(
  handle: FileHandle,
  from: number,
  to: number,
  firstLineNo: number,
): AsyncGenerator<RawLine[], LinesEnd, undefined> {
  let position = from
  let lineNo = firstLineNo
  let carry: Buffer | undefined
  let carryOffset = from
  let skipping = false
  while (position < to) {
    const carryLength = carry?.length ?? 0
    // A line longer than a chunk is carried into the next read: reads grow with it, so that a long
    // line is copied a few times rather than once per chunk, while the buffer stays within
    // MAX_LINE_BYTES plus a chunk.
    const want = Math.min(Math.max(READ_CHUNK_BYTES, Math.min(carryLength, MAX_LINE_BYTES - carryLength)), to - position)
    const buf = Buffer.allocUnsafe(carryLength + want)
    if (carry !== undefined) carry.copy(buf, 0)
    const got = await handle.read(buf.subarray(carryLength, carryLength + want), position)
    if (got === 0) break
    const length = carryLength + got
    const base = position - carryLength // file offset of buf[0]
    position += got
    const lines: RawLine[] = []
    let lineStart = 0
    for (;;) {
      const nl = buf.indexOf(NEWLINE, lineStart)
      if (nl === -1 || nl >= length) break
      const next = base + nl + 1
      if (skipping) {
        skipping = false
        lines.push({ buf, start: 0, end: 0, offset: carryOffset, next, lineNo: lineNo++, overlong: true })
      } else {
        // A line ending `\r\n` (a text editor's doing) is a line ending, not part of the line.
        const end = nl > lineStart && buf[nl - 1] === CARRIAGE_RETURN ? nl - 1 : nl
        lines.push({ buf, start: lineStart, end, offset: base + lineStart, next, lineNo: lineNo++, overlong: false })
      }
      lineStart = nl + 1
    }
    if (!skipping) carryOffset = base + lineStart
    carry = undefined
    if (!skipping && length - lineStart > MAX_LINE_BYTES) skipping = true
    else if (!skipping && lineStart < length) carry = buf.subarray(lineStart, length)
    if (lines.length > 0) yield lines
  }
  return { end: carryOffset, partialBytes: position - carryOffset, partialLineNo: lineNo }
}
