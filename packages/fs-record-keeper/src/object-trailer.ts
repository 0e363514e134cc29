import { crc32 } from '@quire/codec'
import { DEPOT_BLOCK_BYTES } from './limits.js'

/** The fixed end of a READABLE object's trailer (see FORMAT.md). */
export const FOOTER_BYTES = 24
const MAGIC = [0x51, 0x44, 0x50, 0x54] // "QDPT"
const VERSION = 1

/** Number of crc32 blocks covering `size` content bytes. */
export function blockCount(size: number): number {
  return Math.ceil(size / DEPOT_BLOCK_BYTES)
}

/** The length of an object file (WRITABLE or READABLE) holding `size` content bytes. */
export function storedLength(size: number): number {
  return size + 4 * blockCount(size) + FOOTER_BYTES
}

/**
 * The content size of a file of `length` bytes: the one `size` with `storedLength(size) === length`
 * (the function is strictly increasing), or `undefined` when none fits (a torn reservation).
 */
export function contentSizeOf(length: number): number | undefined {
  if (!Number.isSafeInteger(length) || length < FOOTER_BYTES) return undefined
  // length - FOOTER_BYTES = size + 4·blocks, and blocks is within one of ⌈that / (block + 4)⌉.
  const rest = length - FOOTER_BYTES
  const estimate = Math.ceil(rest / (DEPOT_BLOCK_BYTES + 4))
  for (let blocks = Math.max(0, estimate - 1); blocks <= estimate + 1; blocks++) {
    const size = rest - 4 * blocks
    if (size >= 0 && storedLength(size) === length) return size
  }
  return undefined
}

/** The trailer (block-crc table + footer) for content of `size` bytes with these block crcs. */
export function encodeTrailer(size: number, blockCrcs: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * blockCrcs.length + FOOTER_BYTES)
  const view = new DataView(out.buffer)
  blockCrcs.forEach((c, i) => view.setUint32(4 * i, c, true))
  const footer = out.subarray(4 * blockCrcs.length)
  footer.set(MAGIC, 0)
  footer[4] = VERSION
  const fv = new DataView(out.buffer, footer.byteOffset, FOOTER_BYTES)
  fv.setUint32(8, DEPOT_BLOCK_BYTES, true)
  fv.setBigUint64(12, BigInt(size), true)
  fv.setUint32(20, crc32(footer.subarray(0, 20)), true)
  return out
}

/** The content size a footer records, or `undefined` when the footer fails its checks. */
export function decodeFooter(footer: Uint8Array): number | undefined {
  if (footer.byteLength !== FOOTER_BYTES) return undefined
  const view = new DataView(footer.buffer, footer.byteOffset, FOOTER_BYTES)
  if (view.getUint32(20, true) !== crc32(footer.subarray(0, 20))) return undefined
  if (MAGIC.some((b, i) => footer[i] !== b) || footer[4] !== VERSION) return undefined
  if (footer[5] !== 0 || footer[6] !== 0 || footer[7] !== 0) return undefined
  if (view.getUint32(8, true) !== DEPOT_BLOCK_BYTES) return undefined
  const size = view.getBigUint64(12, true)
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) return undefined
  return Number(size)
}
