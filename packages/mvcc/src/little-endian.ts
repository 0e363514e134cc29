/**
 * Little-endian u32 fields by byte arithmetic. Recovery reads one commit info per transaction
 * and a checkpoint reads two lengths per key, and a commit writes one commit info: a `DataView`
 * for each would be one more object each time.
 */

/** The u32 at `at` (the caller checked `at + 4 <= bytes.length`). */
export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 2 ** 24
}

/** Writes `value` (0 .. 2^32 − 1) at `at`. */
export function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff
  out[at + 1] = (value >>> 8) & 0xff
  out[at + 2] = (value >>> 16) & 0xff
  out[at + 3] = (value >>> 24) & 0xff
}
