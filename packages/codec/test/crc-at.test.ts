import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { crc32At } from '../src/crc-at.js'

describe('crc32At (the scanners\' in-place CRC)', () => {
  it('gives the check value of "123456789" in place, inside other bytes', () => {
    const bytes = new TextEncoder().encode('xx123456789yy')
    expect(crc32At(bytes, 2, 11)).toBe(0xcbf43926)
    expect(crc32At(bytes, 5, 5)).toBe(0)
  })

  it('equals zlib.crc32 of the range, for any bytes, range and view offset, short and long', async () => {
    await checkProperty(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 700 }), fc.nat(), fc.nat(), fc.nat({ max: 16 }), (data, a, b, skip) => {
        // A view that does not start at its buffer's first byte, as scanned chunks often are.
        const view = new Uint8Array(data.buffer, Math.min(skip, data.length))
        const start = a % (view.length + 1)
        const end = start + (b % (view.length - start + 1))
        expect(crc32At(view, start, end)).toBe(zlibCrc32(view.subarray(start, end)) >>> 0)
      }),
      { numRuns: propertyRuns(300) },
    )
  })
})
