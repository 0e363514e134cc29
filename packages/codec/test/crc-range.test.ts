import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { chunkCrc32, crc32Range, InvalidArgumentError } from '../src/index.js'

/** Bytes in a view that may not start at its buffer's first byte (as scanned chunks often do), and a range in it. */
const arbRange = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 700 }), fc.nat(), fc.nat(), fc.nat({ max: 16 }))
  .map(([data, a, b, skip]) => {
    const view = new Uint8Array(data.buffer, Math.min(skip, data.length))
    const start = a % (view.length + 1)
    return { view, start, end: start + (b % (view.length - start + 1)) }
  })

describe('crc32Range (the shared in-place CRC) and the chunk checker', () => {
  it('gives the check value of "123456789" in place, inside other bytes', () => {
    const bytes = new TextEncoder().encode('xx123456789yy')
    expect(crc32Range(bytes, 2, 11)).toBe(0xcbf43926)
    expect(crc32Range(bytes, 5, 5)).toBe(0)
    expect(chunkCrc32(bytes, bytes.length)(2, 11)).toBe(0xcbf43926)
  })

  it('equal zlib.crc32 of the range, for any bytes, range and view offset, short and long', async () => {
    await checkProperty(
      fc.property(arbRange, ({ view, start, end }) => {
        const expected = zlibCrc32(view.subarray(start, end)) >>> 0
        expect(crc32Range(view, start, end)).toBe(expected)
        expect(chunkCrc32(view, view.length)(start, end)).toBe(expected)
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('refuse a range that is not inside the bytes, with a typed error', () => {
    const bytes = new Uint8Array(10)
    for (const [start, end] of [[-1, 2], [3, 2], [0, 11], [0.5, 2], [0, Number.NaN]] as const) {
      expect(() => crc32Range(bytes, start, end)).toThrow(InvalidArgumentError)
    }
    expect(() => chunkCrc32(bytes, 11)).toThrow(InvalidArgumentError)
    expect(() => chunkCrc32(bytes, -1)).toThrow(InvalidArgumentError)
  })
})
