import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { DecodeError, InvalidArgumentError, InvalidValueError, MAX_VALUE_DEPTH, msgpackCodec } from '@quire/codec'
import { arbValue, normalize, sameValue } from './values.js'

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'))

const decodeFails = (bytes: Uint8Array): DecodeError => {
  try {
    msgpackCodec.decode(bytes)
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError)
    expect((err as DecodeError).code).toBe('CORRUPT')
    return err as DecodeError
  }
  throw new Error('expected CORRUPT')
}

describe('msgpackCodec', () => {
  it('round-trips any valid value (Dates, binary, bigints included)', async () => {
    await checkProperty(
      fc.property(arbValue('msgpack'), (value) => {
        const decoded = msgpackCodec.decode(msgpackCodec.encode(value))
        expect(sameValue(decoded, normalize(value))).toBe(true)
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('keeps numbers numbers and bigints bigints, exactly', () => {
    const numbers = [0, 1, -1, 2 ** 31, 2 ** 32, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, 2 ** 60, 0.5, -1e300]
    const bigints = [0n, 1n, -1n, 2n ** 40n, 2n ** 63n, -(2n ** 63n), 2n ** 64n - 1n]
    const decoded = msgpackCodec.decode(msgpackCodec.encode({ numbers, bigints })) as { numbers: unknown[]; bigints: unknown[] }
    expect(decoded.numbers).toEqual(numbers)
    for (const n of decoded.numbers) expect(typeof n).toBe('number')
    expect(decoded.bigints).toEqual(bigints)
    for (const n of decoded.bigints) expect(typeof n).toBe('bigint')
  })

  it('stores -0 as 0 (documented)', () => {
    expect(Object.is(msgpackCodec.decode(msgpackCodec.encode(-0)), 0)).toBe(true)
  })

  it('writes a Date as the msgpack timestamp extension (type -1) and reads it back', () => {
    const date = new Date('2024-02-29T12:34:56.789Z')
    const bytes = msgpackCodec.encode(date)
    expect(bytes[0]).toBe(0xd7) // fixext 8
    expect(bytes[1]).toBe(0xff) // type -1
    expect((msgpackCodec.decode(bytes) as Date).toISOString()).toBe('2024-02-29T12:34:56.789Z')
    const old = new Date(-8.64e15)
    expect((msgpackCodec.decode(msgpackCodec.encode(old)) as Date).getTime()).toBe(-8.64e15)
  })

  it('decodes binary as a fresh Uint8Array (a Buffer is accepted as binary)', () => {
    const bytes = msgpackCodec.encode({ b: Buffer.from('hey') })
    const decoded = msgpackCodec.decode(bytes) as { b: Uint8Array }
    expect(decoded.b).toEqual(new Uint8Array([0x68, 0x65, 0x79]))
    expect(Buffer.isBuffer(decoded.b)).toBe(false)
    bytes.fill(0)
    expect(decoded.b).toEqual(new Uint8Array([0x68, 0x65, 0x79]))
  })

  it('validates before encoding: INVALID_VALUE with the path, nothing encoded', () => {
    expect(() => msgpackCodec.encode({ data: { items: [0, 1, 2, { when: new Date(NaN) }] } })).toThrow(
      expect.objectContaining({ code: 'INVALID_VALUE', path: 'data.items[3].when' }),
    )
    expect(() => msgpackCodec.encode(2n ** 64n)).toThrow(InvalidValueError)
  })

  it(`encodes ${MAX_VALUE_DEPTH} nested arrays, refuses deeper on encode and on decode`, () => {
    let value: unknown = 0
    for (let i = 0; i < MAX_VALUE_DEPTH; i++) value = [value]
    expect(msgpackCodec.decode(msgpackCodec.encode(value))).toEqual(value)
    expect(() => msgpackCodec.encode([value])).toThrow(InvalidValueError)
    const tooDeep = new Uint8Array(MAX_VALUE_DEPTH + 2).fill(0x91)
    tooDeep[MAX_VALUE_DEPTH + 1] = 0xc0
    expect(decodeFails(tooDeep).message).toContain('deeper')
    const veryDeep = new Uint8Array(1_000_001).fill(0x91)
    veryDeep[1_000_000] = 0xc0
    decodeFails(veryDeep)
  })
})

describe('msgpackCodec: hostile input', () => {
  it('never pollutes a prototype through a "__proto__" key', () => {
    // {"__proto__": {"polluted": true}} and the same one level down.
    const top = hex('81 a9 5f5f70726f746f5f5f 81 a8 706f6c6c75746564 c3')
    const nested = hex('81 a1 61 81 a9 5f5f70726f746f5f5f 81 a8 706f6c6c75746564 c3')
    for (const bytes of [top, nested]) {
      try {
        const value = msgpackCodec.decode(bytes) as Record<string, unknown>
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError)
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect(Object.prototype).not.toHaveProperty('polluted')
    }
    expect(decodeFails(top).message).toContain('__proto__')
  })

  it('refuses huge declared lengths without allocating them', () => {
    decodeFails(hex('dd ffffffff')) // array 32 of 4 G items
    decodeFails(hex('dd 01000000 c0')) // array 32 of 16 M items, 1 byte present
    decodeFails(hex('df ffffffff')) // map 32
    decodeFails(hex('db fffffff0 61')) // str 32
    decodeFails(hex('c6 ffffffff 00')) // bin 32
    decodeFails(hex('c9 ffffffff 01 00')) // ext 32
  })

  it('holds each declared length to the size of the input it is in, whatever was decoded before', () => {
    // Decoders are reused by input size: a larger input decoded first (or an honest one of the
    // same size) must not lend its limits to the next. Each input below declares more items or
    // bytes than it has, so its own size is the limit that refuses it.
    const cases: [string, string][] = [
      ['dc 0010 c0 c0 c0', 'maxArrayLength'], // array 16 declaring 16 items, in 6 bytes
      ['de 0010 a1 61 c0', 'maxMapLength'], // map 16 declaring 16 entries
      ['d9 10 61 62 63', 'maxStrLength'], // str 8 declaring 16 bytes
      ['c4 10 01 02 03', 'maxBinLength'], // bin 8 declaring 16 bytes
      ['c7 10 01 02 03', 'maxExtLength'], // ext 8 declaring 16 bytes
    ]
    for (const [bytes, limit] of cases) {
      const input = hex(bytes)
      msgpackCodec.decode(msgpackCodec.encode({ big: 'x'.repeat(300), list: Array.from({ length: 40 }, (_, i) => i) }))
      msgpackCodec.decode(msgpackCodec.encode('x'.repeat(input.length - 1))) // an honest input of the same size
      // The library's message names the limit (the map's as "maxMapLengthLength") and its value.
      expect(decodeFails(input).message).toMatch(new RegExp(`> ${limit}\\w* \\(${input.length}\\)$`))
    }
  })

  it('decodes right after inputs of many sizes (more than the decoders it keeps)', () => {
    for (let n = 0; n < 300; n++) {
      const value = { n, text: 'y'.repeat(n), bin: new Uint8Array(n % 7) }
      const bytes = msgpackCodec.encode(value)
      const decoded = msgpackCodec.decode(bytes) as typeof value
      expect(sameValue(decoded, value)).toBe(true)
      // Binary is a copy, not a view of the input.
      if (decoded.bin.length > 0) expect(decoded.bin.buffer).not.toBe(bytes.buffer)
    }
  })

  it('validates each value afresh after a refused one, and when a getter encodes during the walk', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(() => msgpackCodec.encode({ deep: { x: cyclic } })).toThrow(/deep\.x\.self/)
    const shared = { s: 1 }
    expect(msgpackCodec.decode(msgpackCodec.encode({ p: shared, q: shared }))).toEqual({ p: { s: 1 }, q: { s: 1 } })
    expect(() => msgpackCodec.encode({ bad: [undefined] })).toThrow(/bad\[0\]/)
    // A getter that encodes (and fails) inside the outer walk: the outer walk's path and
    // ancestors are its own.
    const outer = {
      get inner(): unknown {
        expect(() => msgpackCodec.encode({ nested: Symbol('s') })).toThrow(InvalidValueError)
        return { ok: true }
      },
      after: cyclic,
    }
    const err = (() => {
      try {
        msgpackCodec.encode(outer)
      } catch (e) {
        return e as InvalidValueError
      }
      throw new Error('expected INVALID_VALUE')
    })()
    expect(err.message).toContain('after.self')
    expect(err.message).not.toContain('nested')
  })

  it('refuses unknown extensions, trailing bytes, empty input, non-finite floats and out-of-range timestamps', () => {
    expect(decodeFails(hex('d4 05 00')).message).toContain('extension')
    decodeFails(hex('c0 c0'))
    decodeFails(new Uint8Array(0))
    decodeFails(hex('cb 7ff8000000000000')) // NaN
    decodeFails(hex('cb 7ff0000000000000')) // Infinity
    decodeFails(hex('c7 0c ff 00000000 4000000000000000')) // timestamp 96, seconds 2^62
    decodeFails(hex('c1')) // never used
  })

  it('decode rejects what is not bytes with INVALID_ARGUMENT', () => {
    expect(() => msgpackCodec.decode('x' as unknown as Uint8Array)).toThrow(InvalidArgumentError)
  })

  it('random bytes never throw anything but DecodeError, and what decodes re-encodes', async () => {
    await checkProperty(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          arbValue('msgpack').map((v) => {
            const bytes = msgpackCodec.encode(v)
            if (bytes.length > 0) bytes[bytes.length >> 1]! ^= 0x5a
            return bytes
          }),
        ),
        (bytes) => {
          let value: unknown
          try {
            value = msgpackCodec.decode(bytes)
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError)
            return
          }
          // Decoded values from another writer are normalised to what encode accepts...
          // except strings: invalid UTF-8 decodes with U+FFFD, which is well-formed.
          expect(() => msgpackCodec.encode(value)).not.toThrow()
        },
      ),
      { numRuns: propertyRuns(500) },
    )
  })
})
