import { crc32 } from '@quire/codec'
import { readU32, readU64 } from './segment-header.js'
import type { WalOp } from './types.js'

/**
 * Records. Each record is one codec frame `[u32 LE length][payload][u32 LE CRC-32 of length +
 * payload]`; payloads (little-endian):
 *
 *   PUT    [u8 1][u8 flags][u64 seq][u64 timestampMs][u32 keyLength][key][u32 valueLength][value]
 *   DELETE [u8 2][u8 flags][u64 seq][u64 timestampMs][u32 keyLength][key]
 *   COMMIT [u8 3][u8 0][u64 firstSeq][u32 count]
 *
 * flags bit 0 (`IN_BATCH`): the record belongs to a batch and counts only once the COMMIT that
 * follows it (covering seqs firstSeq .. firstSeq + count - 1) is read.
 */
export const RECORD_PUT = 1
export const RECORD_DELETE = 2
export const RECORD_COMMIT = 3
export const FLAG_IN_BATCH = 1

export const PUT_HEADER_BYTES = 26
export const DELETE_HEADER_BYTES = 22
export const COMMIT_PAYLOAD_BYTES = 14
/** Frame overhead: length prefix and CRC suffix (same as the codec's `FRAME_OVERHEAD_BYTES`). */
export const FRAME_BYTES = 8

/** Encoded frame size of one operation. */
export function opFrameBytes(op: WalOp): number {
  return op.op === 'put'
    ? FRAME_BYTES + PUT_HEADER_BYTES + op.key.byteLength + op.value.byteLength
    : FRAME_BYTES + DELETE_HEADER_BYTES + op.key.byteLength
}

export const COMMIT_FRAME_BYTES = FRAME_BYTES + COMMIT_PAYLOAD_BYTES

/**
 * Writes the frame of one operation at `pos`, with seq 0 and no CRC yet: `sealFrames` fills both
 * in when the group is written (seqs are assigned in queue order at that moment, so a group that
 * fails never leaves a gap). Returns the position after the frame.
 */
export function encodeOpFrame(
  buf: Uint8Array,
  view: DataView,
  pos: number,
  op: WalOp,
  timestampMs: number,
  flags: number,
): number {
  const isPut = op.op === 'put'
  const keyLength = op.key.byteLength
  const payloadLength = isPut
    ? PUT_HEADER_BYTES + keyLength + op.value.byteLength
    : DELETE_HEADER_BYTES + keyLength
  view.setUint32(pos, payloadLength, true)
  let p = pos + 4
  buf[p] = isPut ? RECORD_PUT : RECORD_DELETE
  buf[p + 1] = flags
  view.setUint32(p + 2, 0, true)
  view.setUint32(p + 6, 0, true)
  view.setUint32(p + 10, timestampMs >>> 0, true)
  view.setUint32(p + 14, Math.floor(timestampMs / 0x1_0000_0000), true)
  view.setUint32(p + 18, keyLength, true)
  p += 22
  buf.set(op.key, p)
  p += keyLength
  if (isPut) {
    const value = op.value
    view.setUint32(p, value.byteLength, true)
    p += 4
    buf.set(value, p)
    p += value.byteLength
  }
  return p + 4
}

/** Writes a COMMIT frame (firstSeq 0, no CRC yet) at `pos`; returns the position after it. */
export function encodeCommitFrame(view: DataView, buf: Uint8Array, pos: number, count: number): number {
  view.setUint32(pos, COMMIT_PAYLOAD_BYTES, true)
  buf[pos + 4] = RECORD_COMMIT
  buf[pos + 5] = 0
  view.setUint32(pos + 6, 0, true)
  view.setUint32(pos + 10, 0, true)
  view.setUint32(pos + 14, count, true)
  return pos + COMMIT_FRAME_BYTES
}

/**
 * Assigns seqs `firstSeq, firstSeq + 1, ...` to the operation frames in `buf[start, end)` in
 * order, points each COMMIT at its batch's first seq, and writes every frame's CRC.
 * Returns the last seq assigned.
 */
export function sealFrames(buf: Uint8Array, view: DataView, start: number, end: number, firstSeq: number): number {
  let seq = firstSeq
  let batchFirst = 0
  let p = start
  while (p < end) {
    const length = view.getUint32(p, true)
    const type = buf[p + 4]
    if (type === RECORD_COMMIT) {
      view.setUint32(p + 6, batchFirst >>> 0, true)
      view.setUint32(p + 10, Math.floor(batchFirst / 0x1_0000_0000), true)
      batchFirst = 0
    } else {
      if (batchFirst === 0 && (buf[p + 5]! & FLAG_IN_BATCH) !== 0) batchFirst = seq
      view.setUint32(p + 6, seq >>> 0, true)
      view.setUint32(p + 10, Math.floor(seq / 0x1_0000_0000), true)
      seq++
    }
    const crcAt = p + 4 + length
    view.setUint32(crcAt, crc32(buf.subarray(p, crcAt)), true)
    p = crcAt + 4
  }
  return seq - 1
}

/** A decoded record; key and value are views into the payload. */
export type DecodedRecord =
  | {
      readonly type: typeof RECORD_PUT | typeof RECORD_DELETE
      readonly inBatch: boolean
      readonly seq: number
      readonly timestampMs: number
      readonly keyStart: number
      readonly keyEnd: number
      readonly valueStart: number
      readonly valueEnd: number
    }
  | { readonly type: typeof RECORD_COMMIT; readonly firstSeq: number; readonly count: number }

/** Decodes a record payload (whose frame CRC already matched); a string says why it is invalid. */
export function decodeRecord(p: Uint8Array): DecodedRecord | string {
  const length = p.byteLength
  if (length < 2) return 'record too short'
  const type = p[0]
  const flags = p[1]!
  if (type === RECORD_COMMIT) {
    if (length !== COMMIT_PAYLOAD_BYTES || flags !== 0) return 'malformed COMMIT record'
    const firstSeq = readU64(p, 2)
    if (firstSeq < 1) return 'COMMIT seq out of range'
    return { type: RECORD_COMMIT, firstSeq, count: readU32(p, 10) }
  }
  if (type !== RECORD_PUT && type !== RECORD_DELETE) return `unknown record type ${type}`
  if ((flags & ~FLAG_IN_BATCH) !== 0) return 'unknown record flags'
  if (length < DELETE_HEADER_BYTES) return 'record too short'
  const seq = readU64(p, 2)
  const timestampMs = readU64(p, 10)
  if (seq < 1 || timestampMs < 0) return 'seq or timestamp out of range'
  const keyLength = readU32(p, 18)
  const keyStart = DELETE_HEADER_BYTES
  const keyEnd = keyStart + keyLength
  let valueStart = 0
  let valueEnd = 0
  if (type === RECORD_DELETE) {
    if (keyEnd !== length) return 'DELETE record length mismatch'
  } else {
    if (keyEnd + 4 > length) return 'PUT record too short'
    valueStart = keyEnd + 4
    valueEnd = valueStart + readU32(p, keyEnd)
    if (valueEnd !== length) return 'PUT record length mismatch'
  }
  return { type, inBatch: (flags & FLAG_IN_BATCH) !== 0, seq, timestampMs, keyStart, keyEnd, valueStart, valueEnd }
}
