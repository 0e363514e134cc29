import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
// Internal: the resync search's range CRC, checked against zlib itself.
import { crcOfRange } from '../src/crc-combine.js'

describe('crcOfRange (zlib crc32_combine, inverted)', () => {
  it('equals zlib.crc32 of the range, for any bytes and any range', async () => {
    await checkProperty(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const q = a % (bytes.length + 1)
        const e = q + (b % (bytes.length - q + 1))
        const crcToQ = zlibCrc32(bytes.subarray(0, q))
        const crcToE = zlibCrc32(bytes.subarray(0, e))
        expect(crcOfRange(crcToQ, crcToE, e - q)).toBe(zlibCrc32(bytes.subarray(q, e)))
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('works for ranges of many megabytes (large shifts)', () => {
    const bytes = new Uint8Array(20 * 1024 * 1024 + 13)
    for (let i = 0; i < bytes.length; i += 4093) bytes[i] = i & 0xff
    const q = 77
    const crcToQ = zlibCrc32(bytes.subarray(0, q))
    const crcToE = zlibCrc32(bytes)
    expect(crcOfRange(crcToQ, crcToE, bytes.length - q)).toBe(zlibCrc32(bytes.subarray(q)))
  })
})
