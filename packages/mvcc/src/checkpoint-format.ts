import { MvccCorruptError, UnsupportedVersionError } from './errors.js'
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
  const view = new DataView(out.buffer)
  out.set(CHECKPOINT_MAGIC, 0)
  view.setUint8(8, CHECKPOINT_VERSION)
  view.setUint32(12, ts % 2 ** 32, true)
  view.setUint32(16, Math.floor(ts / 2 ** 32), true)
  view.setUint32(20, live.length, true)
  view.setUint32(24, walSeq % 2 ** 32, true)
  view.setUint32(28, Math.floor(walSeq / 2 ** 32), true)
  let at = CHECKPOINT_HEADER_BYTES
  for (const [key, value] of live) {
    view.setUint32(at, key.length, true)
    out.set(key, at + 4)
    at += 4 + key.length
    view.setUint32(at, value.length, true)
    out.set(value, at + 4)
    at += 4 + value.length
  }
  return { bytes: out, keys: live.length }
}

/** Decodes a checkpoint state; throws `MvccCorruptError` on anything unexpected. */
export function decodeCheckpoint(bytes: Uint8Array): { ts: number; walSeq: number; entries: [string, Uint8Array][] } {
  if (bytes.length < CHECKPOINT_HEADER_BYTES || !CHECKPOINT_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new MvccCorruptError('checkpoint state does not start with the QMVCCSNP magic')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint8(8)
  if (version > CHECKPOINT_VERSION) {
    throw new UnsupportedVersionError(`the newest checkpoint has layout version ${version}, written by a newer release; this release reads ${CHECKPOINT_VERSION} and will not touch the store`)
  }
  if (version !== CHECKPOINT_VERSION) throw new MvccCorruptError(`unknown checkpoint version ${version}`)
  const ts = view.getUint32(12, true) + view.getUint32(16, true) * 2 ** 32
  const count = view.getUint32(20, true)
  const walSeq = view.getUint32(24, true) + view.getUint32(28, true) * 2 ** 32
  const entries: [string, Uint8Array][] = []
  let at = CHECKPOINT_HEADER_BYTES
  const take = (): Uint8Array => {
    if (at + 4 > bytes.length) throw new MvccCorruptError('checkpoint state is truncated')
    const length = view.getUint32(at, true)
    if (at + 4 + length > bytes.length) throw new MvccCorruptError('checkpoint state is truncated')
    const slice = bytes.subarray(at + 4, at + 4 + length)
    at += 4 + length
    return slice
  }
  for (let i = 0; i < count; i++) {
    const key = take()
    const value = take()
    entries.push([Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8'), value])
  }
  if (at !== bytes.length) throw new MvccCorruptError('checkpoint state has trailing bytes')
  return { ts, walSeq, entries }
}
