import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { compareKeys, prefixUpperBound, validateKey, scanRange } from '../src/keys.js'
import { InvalidArgumentError } from '../src/errors.js'

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8')

describe('key order', () => {
  it('orders astral characters after U+E000..U+FFFF, as UTF-8 bytes do (UTF-16 order does not)', () => {
    const bmpHigh = '\uFFFF'
    const astral = '😀' // U+1F600, surrogates D83D DE00
    expect(bmpHigh < astral).toBe(false) // JavaScript's UTF-16 order
    expect(Buffer.compare(utf8(bmpHigh), utf8(astral))).toBe(-1)
    expect(compareKeys(bmpHigh, astral)).toBeLessThan(0)
    expect(compareKeys('a\uE000', 'a😀')).toBeLessThan(0)
    expect(compareKeys('\uD7FF', '😀')).toBeLessThan(0)
  })

  it('agrees with Buffer.compare of the UTF-8 bytes on any well-formed strings', async () => {
    const str = fc.string({ unit: 'grapheme', maxLength: 6 })
    await checkProperty(
      fc.property(str, str, (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Buffer.compare(utf8(a), utf8(b)))
      }),
      { numRuns: propertyRuns(500) },
    )
  })

  it('prefixUpperBound is the least string above every string with the prefix', async () => {
    expect(prefixUpperBound('ab')).toBe('ac')
    expect(prefixUpperBound('a\uD7FF')).toBe('a\uE000')
    expect(prefixUpperBound('a\u{10FFFF}')).toBe('b')
    expect(prefixUpperBound('\u{10FFFF}')).toBeUndefined()
    const str = fc.string({ unit: 'grapheme', maxLength: 4 })
    await checkProperty(
      fc.property(str.filter((s) => s.length > 0), str, (prefix, rest) => {
        const upper = prefixUpperBound(prefix)
        if (upper !== undefined) expect(compareKeys(prefix + rest, upper)).toBeLessThan(0)
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('rejects bad keys with INVALID_ARGUMENT', () => {
    for (const bad of ['', '\uD800', 'a\uDC00b', 'x'.repeat(1025), 42, null]) {
      expect(() => validateKey(bad)).toThrow(InvalidArgumentError)
    }
    expect(() => validateKey('é'.repeat(512))).not.toThrow()
    expect(() => validateKey('é'.repeat(513))).toThrow(InvalidArgumentError)
    expect(() => scanRange({ limit: -1 })).toThrow(InvalidArgumentError)
    expect(scanRange({ prefix: 'ab', gte: 'aa', lt: 'az' })).toEqual({ gte: 'ab', lt: 'ac' })
  })
})
