import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { DecodeError, InvalidArgumentError, InvalidValueError, jsonCodec, MAX_VALUE_DEPTH } from '@quire/codec'
import { arbValue, normalize, sameValue } from './values.js'

const parseFails = (text: string): DecodeError => {
  try {
    jsonCodec.parse(text)
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError)
    expect((err as DecodeError).code).toBe('CORRUPT')
    return err as DecodeError
  }
  throw new Error('expected CORRUPT')
}

describe('jsonCodec', () => {
  it('round-trips any valid value through bytes and through text', async () => {
    await checkProperty(
      fc.property(arbValue('json'), (value) => {
        expect(sameValue(jsonCodec.decode(jsonCodec.encode(value)), normalize(value))).toBe(true)
        expect(sameValue(jsonCodec.parse(jsonCodec.stringify(value)), normalize(value))).toBe(true)
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('writes a Date as {"$date":"<ISO-8601 with ms>"} and reads it back', () => {
    const value = { at: new Date('2024-02-29T12:34:56.789Z'), list: [new Date(0)] }
    const text = jsonCodec.stringify(value)
    expect(text).toBe('{"at":{"$date":"2024-02-29T12:34:56.789Z"},"list":[{"$date":"1970-01-01T00:00:00.000Z"}]}')
    expect(jsonCodec.parse(text)).toEqual(value)
    expect(jsonCodec.parse(jsonCodec.stringify(new Date(8.64e15)))).toEqual(new Date(8.64e15))
    expect(jsonCodec.stringify(new Date(-1))).toBe('{"$date":"1969-12-31T23:59:59.999Z"}')
  })

  it('leaves $date objects that are not exactly one string alone', () => {
    expect(jsonCodec.parse('{"$date":5}')).toEqual({ $date: 5 })
    expect(jsonCodec.parse('{"$date":"x","y":1}')).toEqual({ $date: 'x', y: 1 })
  })

  it('refuses a {"$date": <string>} that is not exactly what toISOString writes', () => {
    parseFails('{"$date":"2024-02-29"}')
    parseFails('{"$date":"not a date"}')
    parseFails('{"$date":"2024-02-29T12:34:56Z"}')
  })

  it('validates before encoding: the ambiguous { $date: string }, binary, bigint', () => {
    expect(() => jsonCodec.stringify({ x: [{ $date: '2024-01-01T00:00:00.000Z' }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_VALUE', path: 'x[0]' }),
    )
    expect(() => jsonCodec.encode({ b: new Uint8Array(1) })).toThrow(InvalidValueError)
    expect(() => jsonCodec.encode(1n)).toThrow(InvalidValueError)
    expect(() => jsonCodec.encode({ data: { items: [0, 1, 2, { when: undefined }] } })).toThrow(
      expect.objectContaining({ path: 'data.items[3].when' }),
    )
  })

  it('stores -0 as 0 and keeps lone surrogates (JSON escapes them)', () => {
    expect(Object.is(jsonCodec.parse(jsonCodec.stringify(-0)), 0)).toBe(true)
    expect(jsonCodec.decode(jsonCodec.encode('a\ud800b'))).toBe('a\ud800b')
  })

  it(`accepts ${MAX_VALUE_DEPTH} nested arrays and refuses deeper text`, () => {
    expect(jsonCodec.parse('['.repeat(MAX_VALUE_DEPTH) + ']'.repeat(MAX_VALUE_DEPTH))).toBeDefined()
    const deeper = '['.repeat(MAX_VALUE_DEPTH + 1) + ']'.repeat(MAX_VALUE_DEPTH + 1)
    expect(parseFails(deeper).message).toContain('deeper')
    parseFails('['.repeat(200_000) + ']'.repeat(200_000))
    parseFails('{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000))
  })

  it('a Date at the deepest level is a leaf, as for the validator', () => {
    let value: unknown = new Date(0)
    for (let i = 0; i < MAX_VALUE_DEPTH; i++) value = [value]
    expect(jsonCodec.parse(jsonCodec.stringify(value))).toEqual(value)
  })
})

describe('jsonCodec: hostile input', () => {
  it('never pollutes a prototype through "__proto__" (refused) or "constructor" (plain data)', () => {
    for (const text of ['{"__proto__":{"polluted":true}}', '{"a":[{"__proto__":{"polluted":true}}]}']) {
      expect(parseFails(text).message).toContain('__proto__')
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }
    const value = jsonCodec.parse('{"constructor":{"prototype":{"polluted":true}}}') as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(jsonCodec.encode(value)).toBeInstanceOf(Uint8Array)
  })

  it('refuses invalid UTF-8, non-JSON and out-of-range numbers', () => {
    expect(() => jsonCodec.decode(new Uint8Array([0x22, 0xff, 0x22]))).toThrow(DecodeError)
    parseFails('')
    parseFails('{')
    parseFails('undefined')
    parseFails('1e999')
    parseFails('[-1e400]')
    // Members of objects too, at any depth (the walk checks numbers where it meets them).
    parseFails('{"a":1e999}')
    parseFails('{"a":{"b":[1,{"c":-1e400}]}}')
  })

  it('rejects what is not text or bytes with INVALID_ARGUMENT', () => {
    expect(() => jsonCodec.parse(1 as unknown as string)).toThrow(InvalidArgumentError)
    expect(() => jsonCodec.decode('x' as unknown as Uint8Array)).toThrow(InvalidArgumentError)
  })

  it('random text never throws anything but DecodeError, and what parses re-encodes', async () => {
    await checkProperty(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.json(),
          arbValue('json').map((v) => {
            const text = jsonCodec.stringify(v)
            const at = text.length >> 1
            return text.slice(0, at) + text.slice(at + 1)
          }),
        ),
        (text) => {
          let value: unknown
          try {
            value = jsonCodec.parse(text)
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError)
            return
          }
          expect(typeof jsonCodec.stringify(value)).toBe('string')
        },
      ),
      { numRuns: propertyRuns(500) },
    )
  })
})
