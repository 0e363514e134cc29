import { crc32InPlace } from './crc-range.js'
import { InvalidArgumentError } from './errors.js'
import { FRAME_OVERHEAD_BYTES, isValidFrameAt, readU32, resolveMaxFrameBytes, type FrameOptions } from './frame.js'
import { Resync } from './resync.js'
import type { ScanEnd, ScannedFrame } from './scan.js'

/** Options of {@link FrameScanner}. */
export interface FrameScannerOptions extends FrameOptions {
  /** Absolute offset of the first byte that will be pushed (default 0); frame offsets count from it. */
  readonly offset?: number
}

/** Smallest buffer the scanner allocates for a frame that spans chunks. */
const MIN_BUFFER_BYTES = 64 * 1024

type Mode = 'frames' | 'searching' | 'corrupt'

/**
 * Takes the frames of {@link FrameScanner.pushTo} one by one, without an object or a view per
 * frame (what a log reader with millions of small frames spends most of its allocations on).
 */
export interface FrameSink {
  /**
   * A complete good frame starting at absolute `offset`; its payload is `bytes[start, start +
   * length)`, memory the scanner never writes again (the pushed chunk, or a private buffer for a
   * frame that spanned chunks). Return `false` to stop the scan there: the scanner is then done
   * and refuses further use.
   */
  frameAt(offset: number, bytes: Uint8Array, start: number, length: number): boolean
}

/**
 * An incremental {@link scanFrames}: push a big file chunk by chunk, get the complete good
 * frames as they appear, then call `finish()` for `end` and `status`. For ANY split of the same
 * bytes into chunks, the frames, `end`, `status` and `corruptAt` are exactly those of
 * `scanFrames` on the concatenation.
 *
 * Memory stays bounded by `maxFrameBytes` plus one chunk: a frame split across chunks is
 * copied into a buffer that grows only as its bytes arrive, and after a bad frame the resync
 * search keeps a few bytes and the candidates it is still checking, not the data.
 *
 * Payloads are views of the pushed chunk when the frame lies inside it (so do not overwrite a
 * chunk's memory while you still use its payloads), or of a private buffer the scanner never
 * writes to again when the frame spans chunks.
 */
export class FrameScanner {
  readonly #maxFrameBytes: number
  #mode: Mode = 'frames'
  #result: ScanEnd | undefined
  /** Absolute offset just past the last good frame. */
  #end: number

  // 'frames' mode: a frame begun in an earlier chunk, starting at #end.
  #partial: Uint8Array | undefined
  #partialHeld = 0
  /** `length + 8` once the length field is known, else -1. */
  #partialTotal = -1

  // 'searching' mode: is there a good frame anywhere after the bad one?
  #resync: Resync | undefined
  /** A sink returned false: the scanner refuses further use. */
  #stopped = false

  constructor(options: FrameScannerOptions = {}) {
    this.#maxFrameBytes = resolveMaxFrameBytes(options.maxFrameBytes)
    const offset = options.offset ?? 0
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidArgumentError(`offset must be a non-negative integer, got ${typeof offset === 'number' ? String(offset) : typeof offset}`)
    }
    this.#end = offset
  }

  /**
   * Feeds the next chunk. Returns the frames completed by it (possibly none), in order.
   * Never throws on bad bytes.
   *
   * @throws {@link InvalidArgumentError} when `chunk` is not a Uint8Array or after `finish()`.
   */
  push(chunk: Uint8Array): ScannedFrame[] {
    const frames: ScannedFrame[] = []
    this.pushTo(chunk, {
      frameAt: (offset, bytes, start, length) => {
        frames.push({ offset, payload: new Uint8Array(bytes.buffer, bytes.byteOffset + start, length) })
        return true
      },
    })
    return frames
  }

  /**
   * {@link FrameScanner.push}, handing each frame to `sink` instead of returning them: the same
   * frames in the same order. Returns `false` when the sink stopped the scan.
   *
   * @throws {@link InvalidArgumentError} when `chunk` is not a Uint8Array, after `finish()`, or
   *   after a sink stopped the scan.
   */
  pushTo(chunk: Uint8Array, sink: FrameSink): boolean {
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError('FrameScanner.push expects a Uint8Array')
    if (this.#result !== undefined) throw new InvalidArgumentError('FrameScanner.push called after finish()')
    if (this.#stopped) throw new InvalidArgumentError('FrameScanner.push called after a sink stopped the scan')
    if (this.#mode === 'corrupt' || chunk.length === 0) return true
    if (this.#mode === 'searching') {
      this.#feedSearch(chunk)
      return true
    }
    let i = 0
    if (this.#partial !== undefined) {
      i = this.#feedPartial(chunk, sink)
      if (this.#stopped) return false
      // #feedPartial may have switched to the search, which may already have found a good
      // frame (TypeScript cannot see the mode change).
      const mode = this.#mode as Mode
      if (mode !== 'frames') {
        if (mode === 'searching') this.#feedSearch(chunk.subarray(i))
        return true
      }
      if (this.#partial !== undefined) return true // still incomplete: all of chunk was taken
    }
    this.#scanChunk(chunk, i, sink)
    return !this.#stopped
  }

  /**
   * Ends the scan: no more chunks. Idempotent.
   *
   * @returns `end` (offset just past the last good frame), `status` and, when corrupt, `corruptAt`.
   */
  finish(): ScanEnd {
    if (this.#result !== undefined) return this.#result
    if (this.#stopped) throw new InvalidArgumentError('FrameScanner.finish called after a sink stopped the scan')
    if (this.#mode === 'frames' && this.#partial !== undefined) {
      // An incomplete last frame: bad, unless... a good frame hides in its bytes (corruption).
      this.#enterSearch(this.#partial.subarray(1, this.#partialHeld))
    }
    const end = this.#end
    let result: ScanEnd
    if (this.#mode === 'corrupt') result = { end, status: 'corrupt', corruptAt: end }
    else if (this.#mode === 'searching') result = { end, status: 'torn' }
    else result = { end, status: 'clean' }
    this.#release()
    this.#result = result
    return result
  }

  /** Scans whole frames inside `chunk` from `i`; keeps an incomplete tail as the partial frame. */
  #scanChunk(chunk: Uint8Array, start: number, sink: FrameSink): void {
    const limit = chunk.length
    const maxFrameBytes = this.#maxFrameBytes
    let i = start
    while (i < limit) {
      if (limit - i < 4) {
        this.#startPartial(chunk.subarray(i), -1)
        return
      }
      const length = readU32(chunk, i)
      if (length > maxFrameBytes) break
      if (limit - i < length + FRAME_OVERHEAD_BYTES) {
        this.#startPartial(chunk.subarray(i), length + FRAME_OVERHEAD_BYTES)
        return
      }
      const crcAt = i + 4 + length
      if (crc32InPlace(chunk, i, crcAt) !== readU32(chunk, crcAt)) break
      const offset = this.#end
      this.#end += length + FRAME_OVERHEAD_BYTES
      i = crcAt + 4
      if (!sink.frameAt(offset, chunk, crcAt - length, length)) {
        this.#stop()
        return
      }
    }
    if (i === limit) return
    // The frame at i is bad: look for a good frame anywhere after its first byte.
    this.#enterSearch(chunk.subarray(i + 1))
  }

  #startPartial(bytes: Uint8Array, total: number): void {
    const capacity = total === -1 ? FRAME_OVERHEAD_BYTES : Math.min(total, Math.max(bytes.length * 2, MIN_BUFFER_BYTES))
    this.#partial = new Uint8Array(capacity)
    this.#partial.set(bytes)
    this.#partialHeld = bytes.length
    this.#partialTotal = total
  }

  /** Feeds `chunk` to the partial frame; returns how many bytes of it were taken. */
  #feedPartial(chunk: Uint8Array, sink: FrameSink): number {
    let partial = this.#partial!
    let consumed = 0
    if (this.#partialTotal === -1) {
      const take = Math.min(4 - this.#partialHeld, chunk.length)
      partial.set(chunk.subarray(0, take), this.#partialHeld)
      this.#partialHeld += take
      consumed = take
      if (this.#partialHeld < 4) return consumed
      const length = readU32(partial, 0)
      if (length > this.#maxFrameBytes) {
        this.#enterSearch(partial.subarray(1, this.#partialHeld))
        return consumed
      }
      this.#partialTotal = length + FRAME_OVERHEAD_BYTES
    }
    const total = this.#partialTotal
    const take = Math.min(total - this.#partialHeld, chunk.length - consumed)
    const needed = this.#partialHeld + take
    if (needed > partial.length) {
      // Grow only as bytes arrive: a damaged length that fits the limit costs what was read.
      const grown = new Uint8Array(Math.min(total, Math.max(needed, partial.length * 2, MIN_BUFFER_BYTES)))
      grown.set(partial.subarray(0, this.#partialHeld))
      partial = grown
      this.#partial = grown
    }
    partial.set(chunk.subarray(consumed, consumed + take), this.#partialHeld)
    this.#partialHeld += take
    consumed += take
    if (this.#partialHeld < total) return consumed
    if (isValidFrameAt(partial, 0, total, this.#maxFrameBytes)) {
      const offset = this.#end
      this.#end += total
      // The buffer now backs a returned payload: never write to it again.
      this.#partial = undefined
      this.#partialHeld = 0
      this.#partialTotal = -1
      if (!sink.frameAt(offset, partial, 4, total - FRAME_OVERHEAD_BYTES)) this.#stop()
    } else {
      this.#enterSearch(partial.subarray(1, total))
    }
    return consumed
  }

  /** Switches to the resync search after a bad frame at #end; `after` = the bytes that follow its first byte. */
  #enterSearch(after: Uint8Array): void {
    this.#mode = 'searching'
    this.#partial = undefined
    this.#partialHeld = 0
    this.#partialTotal = -1
    this.#resync = new Resync(this.#end + 1, this.#maxFrameBytes)
    this.#feedSearch(after)
  }

  #feedSearch(bytes: Uint8Array): void {
    if (this.#resync!.push(bytes)) {
      this.#mode = 'corrupt'
      this.#release()
    }
  }

  /** A sink stopped the scan: nothing more is read (the caller has what it needed). */
  #stop(): void {
    this.#stopped = true
    this.#release()
  }

  #release(): void {
    this.#partial = undefined
    this.#resync = undefined
  }
}
