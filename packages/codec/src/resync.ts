import { crc32 as zlibCrc32 } from 'node:zlib'
import { crcOfRange } from './crc-combine.js'
import { FRAME_OVERHEAD_BYTES, readU32 } from './frame.js'

/** The CRC an empty frame carries (of its four zero length bytes): checked without a call. */
const EMPTY_FRAME_CRC = zlibCrc32(new Uint8Array(4)) >>> 0

/**
 * Candidates with a payload up to this many bytes whose bytes are all present are checked
 * directly with zlib; the others through prefix CRCs, so no byte is checksummed twice.
 */
const DIRECT_CHECK_BYTES = 64

const EMPTY = new Uint8Array(0)

/** Zero runs (preallocated or zero-filled tails) are skipped a block at a time. */
const ZERO_BLOCK_BYTES = 4096
const ZEROS = new Uint8Array(ZERO_BLOCK_BYTES)

/** The first offset at or after `from` (below `end`) whose byte is not zero, or `end`. */
function zeroRunEnd(buf: Uint8Array, from: number, end: number): number {
  let i = from
  while (end - i >= ZERO_BLOCK_BYTES && Buffer.compare(buf.subarray(i, i + ZERO_BLOCK_BYTES), ZEROS) === 0) {
    i += ZERO_BLOCK_BYTES
  }
  while (i < end && buf[i] === 0) i++
  return i
}

/** Pending long candidates, as a binary min-heap on the offset of their stored CRC. */
class CandidateHeap {
  readonly #crcAt: number[] = []
  readonly #start: number[] = []
  readonly #crcToStart: number[] = []

  get size(): number {
    return this.#crcAt.length
  }

  /** Offset of the earliest stored CRC; Infinity when empty. */
  peek(): number {
    return this.#crcAt[0] ?? Infinity
  }

  push(crcAt: number, start: number, crcToStart: number): void {
    const keys = this.#crcAt
    let i = keys.length
    keys.push(crcAt)
    this.#start.push(start)
    this.#crcToStart.push(crcToStart)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (keys[parent]! <= crcAt) break
      this.#swap(i, parent)
      i = parent
    }
  }

  /** Removes the earliest; returns its `[start, crcToStart]`. */
  pop(): [number, number] {
    const top: [number, number] = [this.#start[0]!, this.#crcToStart[0]!]
    const last = this.#crcAt.length - 1
    this.#swap(0, last)
    this.#crcAt.pop()
    this.#start.pop()
    this.#crcToStart.pop()
    const keys = this.#crcAt
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < keys.length && keys[left]! < keys[least]!) least = left
      if (right < keys.length && keys[right]! < keys[least]!) least = right
      if (least === i) break
      this.#swap(i, least)
      i = least
    }
    return top
  }

  #swap(a: number, b: number): void {
    for (const list of [this.#crcAt, this.#start, this.#crcToStart]) {
      const t = list[a]!
      list[a] = list[b]!
      list[b] = t
    }
  }
}

/**
 * The resync search after a bad frame, fed in order chunk by chunk: does a complete frame with
 * a good CRC start at any offset from `start` on? Each offset is a candidate; its length field
 * is read once. A short candidate whose bytes are present is checked directly; any other is
 * remembered with the running CRC at its start, and checked when the stream reaches its stored
 * CRC, from the running CRC there (see {@link crcOfRange}). So the search checksums each byte
 * once and keeps only a few bytes plus the pending candidates: linear time, whatever the bytes
 * (a naive search is quadratic on garbage whose length fields happen to fit). Runs of zeros
 * are skipped a block at a time.
 */
export class Resync {
  readonly #maxFrameBytes: number
  #found = false
  /** Absolute offset of `#carry[0]`. */
  #base: number
  /** Bytes kept from the previous chunk: from the earliest offset still needed. */
  #carry: Uint8Array = EMPTY
  /** The next candidate offset to examine. */
  #next: number
  /** Running CRC-32 of the bytes from `start` up to `#crcAt`. */
  #crc = 0
  #crcAt: number
  readonly #pending = new CandidateHeap()

  constructor(start: number, maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes
    this.#base = start
    this.#next = start
    this.#crcAt = start
  }

  /** Feeds the next bytes; returns true once a good frame has been found (then stays true). */
  push(chunk: Uint8Array): boolean {
    if (this.#found || chunk.length === 0) return this.#found
    let buf = chunk
    if (this.#carry.length > 0) {
      buf = new Uint8Array(this.#carry.length + chunk.length)
      buf.set(this.#carry)
      buf.set(chunk, this.#carry.length)
    }
    const base = this.#base
    const end = base + buf.length
    const maxFrameBytes = this.#maxFrameBytes
    const pending = this.#pending
    let q = this.#next
    for (;;) {
      // Pending stored CRCs at or before q come first, so the running CRC only moves forward.
      const crcAt = pending.peek()
      if (crcAt <= q && crcAt + 4 <= end) {
        const [start, crcToStart] = pending.pop()
        this.#advance(buf, base, crcAt)
        if (crcOfRange(crcToStart, this.#crc, crcAt - start) === readU32(buf, crcAt - base)) return this.#succeed()
        continue
      }
      if (q + 4 > end) break
      const length = readU32(buf, q - base)
      if (length <= maxFrameBytes) {
        if (length <= DIRECT_CHECK_BYTES && q + FRAME_OVERHEAD_BYTES + length <= end) {
          const storedCrc = readU32(buf, q + 4 + length - base)
          const crc =
            length === 0
              ? EMPTY_FRAME_CRC
              : zlibCrc32(new Uint8Array(buf.buffer, buf.byteOffset + q - base, 4 + length))
          if (crc === storedCrc) return this.#succeed()
          if (length === 0 && storedCrc === 0) {
            // Eight zero bytes: no frame starts at any offset whose next 8 bytes are all zero
            // (an empty frame's CRC is not 0), so jump to the end of the zero run.
            q = Math.max(q + 1, base + zeroRunEnd(buf, q - base, end - base) - (FRAME_OVERHEAD_BYTES - 1))
            continue
          }
        } else {
          this.#advance(buf, base, q)
          pending.push(q + 4 + length, q, this.#crc)
        }
      }
      q++
    }
    this.#next = q
    // Keep the bytes from the earliest offset a later step may read, and no earlier.
    const keepFrom = Math.min(q, pending.peek())
    this.#advance(buf, base, keepFrom)
    this.#carry = buf.slice(keepFrom - base)
    this.#base = keepFrom
    return false
  }

  /** Moves the running CRC forward to `to` (absolute), over bytes present in `buf`. */
  #advance(buf: Uint8Array, base: number, to: number): void {
    if (to <= this.#crcAt) return
    const from = this.#crcAt - base
    this.#crc = zlibCrc32(new Uint8Array(buf.buffer, buf.byteOffset + from, to - base - from), this.#crc) >>> 0
    this.#crcAt = to
  }

  #succeed(): boolean {
    this.#found = true
    this.#carry = EMPTY
    return true
  }
}
