import { crc32 } from '@quire/codec'
import { WAL_MAX_SEQ } from './limits.js'

/** "QUIREWAL" in ASCII: the first 8 bytes of every segment. */
export const SEGMENT_MAGIC = new Uint8Array([0x51, 0x55, 0x49, 0x52, 0x45, 0x57, 0x41, 0x4c])
/** On-disk format version written in every segment header and the floor file. */
export const WAL_FORMAT_VERSION = 1
/** Segment header: magic(8) version(u16) reserved(u16) firstSeq(u64) crc32(u32). */
export const SEGMENT_HEADER_BYTES = 24

const SEGMENT_NAME = /^(\d{20})\.wal$/

/** `00000000000000000001.wal`: 20 decimal digits (the first seq) so names sort in seq order. */
export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, '0')}.wal`
}

/** The first seq a segment name encodes, or undefined when the name is not a segment's. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name)
  if (m === null) return undefined
  const seq = Number(m[1])
  return Number.isSafeInteger(seq) && seq >= 1 ? seq : undefined
}

export function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true)
  view.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true)
}

/** Reads a u64 LE; returns -1 when it does not fit a safe integer. */
export function readU64(bytes: Uint8Array, offset: number): number {
  const lo = (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0
  const hi = (bytes[offset + 4]! | (bytes[offset + 5]! << 8) | (bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 24)) >>> 0
  if (hi > 0x1f_ffff) return -1
  return hi * 0x1_0000_0000 + lo
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0
}

/** Encodes a 24-byte header with its own magic (segments and the floor file share the layout). */
export function encodeHeader(magic: Uint8Array, seq: number): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(magic, 0)
  view.setUint16(8, WAL_FORMAT_VERSION, true)
  view.setUint16(10, 0, true)
  writeU64(view, 12, seq)
  view.setUint32(20, crc32(bytes.subarray(0, 20)), true)
  return bytes
}

/** Decodes a header: the seq it carries, or a reason it is not valid. */
export function decodeHeader(magic: Uint8Array, bytes: Uint8Array): { seq: number } | { invalid: string } {
  if (bytes.byteLength < SEGMENT_HEADER_BYTES) return { invalid: 'header is incomplete' }
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return { invalid: 'bad magic' }
  if (readU32(bytes, 20) !== crc32(bytes.subarray(0, 20))) return { invalid: 'header checksum mismatch' }
  const version = bytes[8]! | (bytes[9]! << 8)
  if (version !== WAL_FORMAT_VERSION) return { invalid: `unsupported format version ${version}` }
  const seq = readU64(bytes, 12)
  if (seq < 0 || seq > WAL_MAX_SEQ) return { invalid: 'seq out of range' }
  return { seq }
}

/**
 * The format version of a header a newer release wrote (the magic, then a version above
 * {@link WAL_FORMAT_VERSION}), or `undefined`. Needs the first 10 bytes only: a newer release
 * may lay out the rest of its header differently.
 */
export function newerVersion(magic: Uint8Array, bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < magic.length + 2) return undefined
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return undefined
  const version = bytes[8]! | (bytes[9]! << 8)
  return version > WAL_FORMAT_VERSION ? version : undefined
}
