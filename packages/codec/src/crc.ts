import { crc32 as zlibCrc32 } from 'node:zlib'
import { InvalidArgumentError } from './errors.js'

/**
 * CRC-32/ISO-HDLC (the zlib / PNG / Ethernet CRC: polynomial 0x04C11DB7, reflected 0xEDB88320,
 * init 0xFFFFFFFF, xorout 0xFFFFFFFF; `crc32("123456789") === 0xCBF43926`), computed natively by
 * `zlib.crc32`.
 *
 * @param data - the bytes to checksum.
 * @param initial - the CRC of the bytes that came before, to checksum data in pieces:
 *   `crc32(b, crc32(a)) === crc32(a ++ b)`. Defaults to 0 (the CRC of no bytes).
 * @returns the CRC as an unsigned 32-bit integer.
 */
export function crc32(data: Uint8Array, initial = 0): number {
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('crc32: data must be a Uint8Array')
  if (!Number.isInteger(initial) || initial < 0 || initial > 0xffff_ffff) {
    throw new InvalidArgumentError('crc32: initial must be an unsigned 32-bit integer')
  }
  return zlibCrc32(data, initial) >>> 0
}
