import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { crc32, InvalidArgumentError } from '@quire/codec'

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('crc32', () => {
  it('is CRC-32/ISO-HDLC: the check value of "123456789" is 0xCBF43926', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926)
  })

  it('gives the other published vectors', () => {
    expect(crc32(new Uint8Array(0))).toBe(0)
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339)
    // Four zero bytes: what an empty frame's CRC covers (never 0, so zero-filled tails never look valid).
    expect(crc32(new Uint8Array(4))).toBe(0x2144df1c)
  })

  it('is unsigned', () => {
    expect(crc32(ascii('123456789'))).toBeGreaterThan(0x7fffffff)
  })

  it('continues from an initial CRC: crc32(b, crc32(a)) === crc32(a ++ b)', async () => {
    await checkProperty(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        const ab = new Uint8Array([...a, ...b])
        expect(crc32(b, crc32(a))).toBe(crc32(ab))
      }),
      { numRuns: propertyRuns(100) },
    )
  })

  it('rejects what is not bytes or not a u32 with INVALID_ARGUMENT', () => {
    expect(() => crc32('123' as unknown as Uint8Array)).toThrow(InvalidArgumentError)
    expect(() => crc32(new Uint8Array(1), -1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => crc32(new Uint8Array(1), 2 ** 32)).toThrow(InvalidArgumentError)
  })
})
