import { crc32InPlace } from './crc-range.js'
import { InvalidArgumentError } from './errors.js'
import { FRAME_OVERHEAD_BYTES, readU32, resolveMaxFrameBytes, type FrameOptions } from './frame.js'
import { Resync } from './resync.js'

/** One good frame found by a scanner. */
export interface ScannedFrame {
  /** Absolute offset of the frame's first byte (its length field). */
  readonly offset: number
  /**
   * The payload: a `Uint8Array` view of the scanned bytes (same memory, not a copy; a plain
   * Uint8Array even when the input was a Buffer).
   */
  readonly payload: Uint8Array
}

/**
 * How scanned bytes end:
 * - `'clean'`: every byte belongs to a good frame;
 * - `'torn'`: after the good frames comes a bad or incomplete frame, and no complete frame with
 *   a good CRC starts anywhere after it (what an interrupted append leaves);
 * - `'corrupt'`: after the good frames comes a bad frame, and a complete frame with a good CRC
 *   starts somewhere after it (damage in the middle of the data, not an interrupted append).
 */
export type ScanStatus = 'clean' | 'torn' | 'corrupt'

/** How a scan ended (see {@link ScanStatus}). */
export interface ScanEnd {
  /** Absolute offset just past the last good frame: where the next frame should go. */
  readonly end: number
  readonly status: ScanStatus
  /** Set when `status === 'corrupt'`: the offset of the first bad frame (equal to `end`). */
  readonly corruptAt?: number
}

/** What {@link scanFrames} found. */
export interface ScanResult extends ScanEnd {
  /** The good frames from the start, in order, up to the first bad one. */
  readonly frames: ScannedFrame[]
}

/** Options of {@link scanFrames}. */
export interface ScanOptions extends FrameOptions {
  /** Where in `bytes` to start (default 0). Offsets in the result are still indexes into `bytes`. */
  readonly offset?: number
}

/**
 * Scans framed bytes from `offset`: returns the good frames up to the first bad one, where they
 * end, and how the bytes end. Never throws on bad bytes (only on bad arguments).
 *
 * The rule, precisely. Starting at `offset`, a frame at `pos` is good when its length field
 * `L` is at most `maxFrameBytes`, all `L + 8` bytes are present, and the stored CRC equals
 * CRC-32 of the `L + 4` bytes from `pos`. Good frames are taken one after another; `end` is the
 * offset after the last one. Then:
 * - `end === bytes.length` → `'clean'`;
 * - otherwise the frame at `end` is bad (short, too long, or wrong CRC). If a good frame (same
 *   test, against the bytes present) starts at ANY offset `q > end` → `'corrupt'`, with
 *   `corruptAt = end`; if none does → `'torn'`.
 *
 * Frames after a corruption are not returned: the data from `end` on cannot be trusted in
 * order, so the caller decides (refuse to open, or salvage with another scan from a later
 * offset). The search after a bad frame tries every offset, in time linear in the bytes after
 * it whatever they are (each byte is checksummed once; see `resync.ts`).
 *
 * @throws {@link InvalidArgumentError} for a non-Uint8Array, a bad `offset` or `maxFrameBytes`.
 */
export function scanFrames(bytes: Uint8Array, options: ScanOptions = {}): ScanResult {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('scanFrames expects a Uint8Array')
  const maxFrameBytes = resolveMaxFrameBytes(options.maxFrameBytes)
  const start = options.offset ?? 0
  if (!Number.isSafeInteger(start) || start < 0 || start > bytes.length) {
    throw new InvalidArgumentError(`offset must be an integer in [0, ${bytes.length}], got ${typeof start === 'number' ? String(start) : typeof start}`)
  }
  const frames: ScannedFrame[] = []
  const limit = bytes.length
  const buffer = bytes.buffer
  const base = bytes.byteOffset
  let pos = start
  // The hot loop: one length read, the CRC in place (a view only for long frames), one view for the payload, per frame.
  // (`new Uint8Array(buffer, ...)` is cheaper than `subarray`, which looks up a species.)
  while (limit - pos >= FRAME_OVERHEAD_BYTES) {
    const length = readU32(bytes, pos)
    if (length > maxFrameBytes || length > limit - pos - FRAME_OVERHEAD_BYTES) break
    const crcAt = pos + 4 + length
    if (crc32InPlace(bytes, pos, crcAt) !== readU32(bytes, crcAt)) break
    frames.push({ offset: pos, payload: new Uint8Array(buffer, base + pos + 4, length) })
    pos = crcAt + 4
  }
  if (pos === limit) return { frames, end: pos, status: 'clean' }
  const resync = new Resync(pos + 1, maxFrameBytes)
  if (!resync.push(bytes.subarray(pos + 1))) return { frames, end: pos, status: 'torn' }
  return { frames, end: pos, status: 'corrupt', corruptAt: pos }
}
