import { crc32 } from '@quire/codec'
import { MAX_KEY_BYTES } from './limits.js'
import { MAX_CODEC_ID } from './state-codec.js'

/** ASCII `QUIRSNAP`. */
export const MAGIC = new Uint8Array([0x51, 0x55, 0x49, 0x52, 0x53, 0x4e, 0x41, 0x50])
export const FORMAT_VERSION = 1
/** Fixed header bytes before the key. */
export const HEADER_BYTES = 48
/** The CRC-32 trailer. */
export const TRAILER_BYTES = 4

/** The header fields of a snapshot file (FORMAT.md). */
export interface SnapshotHeader {
  readonly codecId: number
  readonly position: number
  readonly schemaVersion: number
  readonly createdAtMs: number
}

/**
 * The bytes of one snapshot file, as a header (fixed header + key), the state (not copied) and
 * the trailer. `total` is their combined length.
 */
export interface EncodedSnapshot {
  readonly head: Uint8Array
  readonly state: Uint8Array
  readonly trailer: Uint8Array
  readonly total: number
}

export function encodeSnapshot(header: SnapshotHeader, key: Uint8Array, state: Uint8Array): EncodedSnapshot {
  const head = new Uint8Array(HEADER_BYTES + key.byteLength)
  const view = new DataView(head.buffer)
  head.set(MAGIC, 0)
  view.setUint16(8, FORMAT_VERSION, true)
  view.setUint8(10, header.codecId)
  view.setUint8(11, 0)
  view.setUint32(12, key.byteLength, true)
  view.setBigUint64(16, BigInt(header.position), true)
  view.setUint32(24, header.schemaVersion, true)
  view.setUint32(28, 0, true)
  view.setBigUint64(32, BigInt(header.createdAtMs), true)
  view.setBigUint64(40, BigInt(state.byteLength), true)
  head.set(key, HEADER_BYTES)
  const trailer = new Uint8Array(TRAILER_BYTES)
  new DataView(trailer.buffer).setUint32(0, crc32(state, crc32(head)) >>> 0, true)
  return { head, state, trailer, total: head.byteLength + state.byteLength + TRAILER_BYTES }
}

/** One buffer holding the whole file (one copy of the state). */
export function concatSnapshot(encoded: EncodedSnapshot): Uint8Array {
  const out = new Uint8Array(encoded.total)
  out.set(encoded.head, 0)
  out.set(encoded.state, encoded.head.byteLength)
  out.set(encoded.trailer, encoded.head.byteLength + encoded.state.byteLength)
  return out
}

/** What a verified file holds; `state` is a view into the file's bytes. */
export interface VerifiedSnapshot extends SnapshotHeader {
  readonly state: Uint8Array
}

export type VerifyResult =
  | { readonly ok: true; readonly snapshot: VerifiedSnapshot }
  | { readonly ok: false; readonly reason: string; readonly unsupportedVersion?: number }

const fail = (reason: string): VerifyResult => ({ ok: false, reason })

/**
 * The format version of a file a newer release wrote (its magic, then a version above
 * {@link FORMAT_VERSION}), or `undefined`. Such a file is not damaged: this code cannot read it,
 * and must leave it alone. Needs the first 10 bytes only.
 */
export function newerFormatVersion(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < MAGIC.byteLength + 2) return undefined
  for (let i = 0; i < MAGIC.byteLength; i++) if (bytes[i] !== MAGIC[i]) return undefined
  const version = bytes[8]! | (bytes[9]! << 8)
  return version > FORMAT_VERSION ? version : undefined
}

const safeU64 = (view: DataView, offset: number): number | undefined => {
  const value = view.getBigUint64(offset, true)
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined
}

/**
 * Checks every byte of a snapshot file against FORMAT.md and against what its location says
 * (the key of its directory, the position of its name). Never throws on bad bytes.
 */
export function verifySnapshot(
  bytes: Uint8Array,
  expected: { readonly key: Uint8Array; readonly position: number; readonly maxStateBytes: number },
): VerifyResult {
  const newer = newerFormatVersion(bytes)
  if (newer !== undefined) return { ok: false, reason: `format version ${newer} is newer than this release reads (${FORMAT_VERSION})`, unsupportedVersion: newer }
  if (bytes.byteLength < HEADER_BYTES + TRAILER_BYTES) return fail(`too short (${bytes.byteLength} bytes)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < MAGIC.byteLength; i++) if (bytes[i] !== MAGIC[i]) return fail('bad magic')
  const version = view.getUint16(8, true)
  if (version !== FORMAT_VERSION) return fail(`unsupported format version ${version}`)
  const codecId = view.getUint8(10)
  if (codecId > MAX_CODEC_ID) return fail(`unknown codec id ${codecId}`)
  if (view.getUint8(11) !== 0 || view.getUint32(28, true) !== 0) return fail('reserved bits set')
  const keyLength = view.getUint32(12, true)
  if (keyLength === 0 || keyLength > MAX_KEY_BYTES) return fail(`key length ${keyLength} out of range`)
  const position = safeU64(view, 16)
  if (position === undefined) return fail('position out of range')
  const schemaVersion = view.getUint32(24, true)
  const createdAtMs = safeU64(view, 32)
  if (createdAtMs === undefined) return fail('creation time out of range')
  const stateLength = safeU64(view, 40)
  if (stateLength === undefined || stateLength > expected.maxStateBytes) return fail('state length out of range')
  const bodyEnd = HEADER_BYTES + keyLength + stateLength
  if (bytes.byteLength !== bodyEnd + TRAILER_BYTES) {
    return fail(`length ${bytes.byteLength} does not match the header (${bodyEnd + TRAILER_BYTES})`)
  }
  const stored = view.getUint32(bodyEnd, true)
  if ((crc32(bytes.subarray(0, bodyEnd)) >>> 0) !== stored) return fail('checksum mismatch')
  // Checked after the CRC: a file that verifies but sits under the wrong name was moved or
  // crafted, not torn.
  const key = bytes.subarray(HEADER_BYTES, HEADER_BYTES + keyLength)
  if (!sameBytes(key, expected.key)) return fail('key does not match its directory')
  if (position !== expected.position) return fail(`position ${position} does not match the file name (${expected.position})`)
  const state = bytes.subarray(HEADER_BYTES + keyLength, bodyEnd)
  return { ok: true, snapshot: { codecId, position, schemaVersion, createdAtMs, state } }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
