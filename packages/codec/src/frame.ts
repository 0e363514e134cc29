import { crc32 as zlibCrc32 } from 'node:zlib'
import { crc32InPlace } from './crc-range.js'
import { FrameTooLargeError, InvalidArgumentError } from './errors.js'

/** Bytes a frame adds around its payload: a u32 length before it and a u32 CRC after it. */
export const FRAME_OVERHEAD_BYTES = 8

/**
 * The default limit on one frame's payload: 16 MiB. A length field above the limit in force is
 * treated as corruption by the scanners, so a damaged length never makes a reader allocate or
 * wait for gigabytes.
 */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

/**
 * The largest `maxFrameBytes` accepted: the length field is a u32, and the whole frame
 * (payload + 8) must still fit in one buffer.
 */
const LIMIT_MAX_FRAME_BYTES = 0xffff_ffff - FRAME_OVERHEAD_BYTES

/** Options shared by the encoders and scanners. */
export interface FrameOptions {
  /**
   * The largest payload, in bytes, a frame may carry (default {@link DEFAULT_MAX_FRAME_BYTES}).
   * Writers and readers of one file must agree on it.
   */
  readonly maxFrameBytes?: number
}

/** Validates `maxFrameBytes` (a programmer error when wrong) and applies the default. */
export function resolveMaxFrameBytes(maxFrameBytes: number | undefined): number {
  if (maxFrameBytes === undefined) return DEFAULT_MAX_FRAME_BYTES
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > LIMIT_MAX_FRAME_BYTES) {
    throw new InvalidArgumentError(
      `maxFrameBytes must be an integer between 0 and ${LIMIT_MAX_FRAME_BYTES}, got ${typeof maxFrameBytes === 'number' ? String(maxFrameBytes) : typeof maxFrameBytes}`,
    )
  }
  return maxFrameBytes
}

function checkPayload(payload: unknown, maxFrameBytes: number): asserts payload is Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new InvalidArgumentError('A frame payload must be a Uint8Array')
  if (payload.byteLength > maxFrameBytes) throw new FrameTooLargeError(payload.byteLength, maxFrameBytes)
}

/** Writes one frame for `payload` into `out` at `pos`; returns the position just past it. */
function writeFrame(out: Uint8Array, pos: number, payload: Uint8Array): number {
  const length = payload.byteLength
  out[pos] = length & 0xff
  out[pos + 1] = (length >>> 8) & 0xff
  out[pos + 2] = (length >>> 16) & 0xff
  out[pos + 3] = (length >>> 24) & 0xff
  out.set(payload, pos + 4)
  const crcAt = pos + 4 + length
  // The CRC covers the length field too, so a damaged length is caught like damaged data.
  const crc = zlibCrc32(out.subarray(pos, crcAt))
  out[crcAt] = crc & 0xff
  out[crcAt + 1] = (crc >>> 8) & 0xff
  out[crcAt + 2] = (crc >>> 16) & 0xff
  out[crcAt + 3] = (crc >>> 24) & 0xff
  return crcAt + 4
}

/**
 * Frames one payload: `[u32 LE length][payload][u32 LE CRC-32 of length field + payload]`.
 * The payload may be empty.
 *
 * @returns a new buffer of `payload.byteLength + FRAME_OVERHEAD_BYTES` bytes.
 * @throws {@link FrameTooLargeError} when the payload is larger than `maxFrameBytes`.
 * @throws {@link InvalidArgumentError} when `payload` is not a Uint8Array.
 */
export function encodeFrame(payload: Uint8Array, options: FrameOptions = {}): Uint8Array {
  const maxFrameBytes = resolveMaxFrameBytes(options.maxFrameBytes)
  checkPayload(payload, maxFrameBytes)
  const out = new Uint8Array(payload.byteLength + FRAME_OVERHEAD_BYTES)
  writeFrame(out, 0, payload)
  return out
}

/**
 * Frames several payloads into ONE buffer, back to back, so a caller can write a batch with a
 * single write. Every payload is checked before anything is allocated.
 *
 * @throws {@link FrameTooLargeError} when any payload is larger than `maxFrameBytes`.
 * @throws {@link InvalidArgumentError} when `payloads` is not an array of Uint8Array.
 */
export function encodeFrames(payloads: readonly Uint8Array[], options: FrameOptions = {}): Uint8Array {
  const maxFrameBytes = resolveMaxFrameBytes(options.maxFrameBytes)
  const list: unknown = payloads
  if (!Array.isArray(list)) throw new InvalidArgumentError('encodeFrames expects an array of Uint8Array')
  let total = 0
  for (const payload of payloads) {
    checkPayload(payload, maxFrameBytes)
    total += payload.byteLength + FRAME_OVERHEAD_BYTES
  }
  const out = new Uint8Array(total)
  let pos = 0
  for (const payload of payloads) pos = writeFrame(out, pos, payload)
  return out
}

/** Reads a little-endian u32. Callers guarantee `pos + 4 <= bytes.length`. */
export function readU32(bytes: Uint8Array, pos: number): number {
  return (bytes[pos]! | (bytes[pos + 1]! << 8) | (bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 24)) >>> 0
}

/**
 * Whether a complete frame with a good CRC starts at `pos` and ends at or before `limit`.
 * Cheap checks (length against the limit and the bytes present) run before the CRC.
 */
export function isValidFrameAt(bytes: Uint8Array, pos: number, limit: number, maxFrameBytes: number): boolean {
  if (limit - pos < FRAME_OVERHEAD_BYTES) return false
  const length = readU32(bytes, pos)
  if (length > maxFrameBytes || length > limit - pos - FRAME_OVERHEAD_BYTES) return false
  const crcAt = pos + 4 + length
  return crc32InPlace(bytes, pos, crcAt) === readU32(bytes, crcAt)
}
