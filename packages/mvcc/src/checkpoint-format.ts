import { MvccCorruptError, UnsupportedVersionError } from './errors.js'
import { readU32, writeU32 } from './little-endian.js'
import type { VersionIndex } from './versions.js'
import { visibleIn } from './versions.js'

/** `QMVCCSNP`: the first bytes of a checkpoint state (inside a @quire/snapshots file). */
export const CHECKPOINT_MAGIC = Uint8Array.from(Buffer.from('QMVCCSNP', 'latin1'))
export const CHECKPOINT_VERSION = 1
/** magic (8) + version (1) + reserved (3) + commitTs (8) + count (4) + walSeq (8). */
export const CHECKPOINT_HEADER_BYTES = 32

/**
 * Encodes the committed state visible at `ts`: every live key with its value bytes, in key
 * order, and `walSeq`, the WAL seq of that commit (how far the WAL may be truncated).
 */
export function encodeCheckpoint(index: VersionIndex, ts: number, walSeq: number): { bytes: Uint8Array; keys: number } {
  const live: [Buffer, Uint8Array][] = []
  let total = CHECKPOINT_HEADER_BYTES
  for (const [key, chain] of index.entries()) {
    const version = visibleIn(chain, ts)
    if (version?.value === undefined) continue
    const keyBytes = Buffer.from(key, 'utf8')
    live.push([keyBytes, version.value])
    total += 8 + keyBytes.length + version.value.length
  }
  const out = new Uint8Array(total)
  out.set(CHECKPOINT_MAGIC, 0)
  out[8] = CHECKPOINT_VERSION
  writeU32(out, 12, ts % 2 ** 32)
  writeU32(out, 16, Math.floor(ts / 2 ** 32))
  writeU32(out, 20, live.length)
  writeU32(out, 24, walSeq % 2 ** 32)
  writeU32(out, 28, Math.floor(walSeq / 2 ** 32))
  let at = CHECKPOINT_HEADER_BYTES
  for (const [key, value] of live) {
    writeU32(out, at, key.length)
    out.set(key, at + 4)
    at += 4 + key.length
    writeU32(out, at, value.length)
    out.set(value, at + 4)
    at += 4 + value.length
  }
  return { bytes: out, keys: live.length }
}

/** A checkpoint state whose header and framing were checked; its entries are read by {@link forEachCheckpointEntry}. */
export interface CheckpointState {
  /** Commit timestamp of the state. */
  readonly ts: number
  /** WAL seq of that commit. */
  readonly walSeq: number
  /** Live keys it holds. */
  readonly keys: number
  readonly bytes: Uint8Array
}

/**
 * Checks a checkpoint state (magic, version, every length inside the bytes, nothing after the
 * last entry); throws `MvccCorruptError` (or `UnsupportedVersionError`) on anything unexpected,
 * before the caller applies any of it. Decodes nothing: opening walks the bytes once more to
 * build the index straight from them, with no intermediate array of entries.
 */
export function readCheckpoint(bytes: Uint8Array): CheckpointState {
  if (bytes.length < CHECKPOINT_HEADER_BYTES || !CHECKPOINT_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new MvccCorruptError('checkpoint state does not start with the QMVCCSNP magic')
  }
  const version = bytes[8]!
  if (version > CHECKPOINT_VERSION) {
    throw new UnsupportedVersionError(`the newest checkpoint has layout version ${version}, written by a newer release; this release reads ${CHECKPOINT_VERSION} and will not touch the store`)
  }
  if (version !== CHECKPOINT_VERSION) throw new MvccCorruptError(`unknown checkpoint version ${version}`)
  const ts = readU32(bytes, 12) + readU32(bytes, 16) * 2 ** 32
  const count = readU32(bytes, 20)
  const walSeq = readU32(bytes, 24) + readU32(bytes, 28) * 2 ** 32
  let at = CHECKPOINT_HEADER_BYTES
  for (let i = 0; i < 2 * count; i++) {
    if (at + 4 > bytes.length) throw new MvccCorruptError('checkpoint state is truncated')
    at += 4 + readU32(bytes, at)
    if (at > bytes.length) throw new MvccCorruptError('checkpoint state is truncated')
  }
  if (at !== bytes.length) throw new MvccCorruptError('checkpoint state has trailing bytes')
  return { ts, walSeq, keys: count, bytes }
}

/**
 * Hands every `(key, value)` of a state checked by {@link readCheckpoint} to `apply`, in key
 * order. Keys are decoded straight from the state's bytes and values are views into them (no
 * per-entry Buffer or tuple: a checkpoint of 100 000 keys made 300 000 short-lived objects).
 */
export function forEachCheckpointEntry(state: CheckpointState, apply: (key: string, value: Uint8Array) => void): void {
  const { bytes } = state
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = CHECKPOINT_HEADER_BYTES
  for (let i = 0; i < state.keys; i++) {
    const keyLength = readU32(bytes, at)
    const key = text.toString('utf8', at + 4, at + 4 + keyLength)
    at += 4 + keyLength
    const valueLength = readU32(bytes, at)
    apply(key, new Uint8Array(bytes.buffer, bytes.byteOffset + at + 4, valueLength))
    at += 4 + valueLength
  }
}
