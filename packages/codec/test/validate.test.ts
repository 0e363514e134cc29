import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { InvalidArgumentError, InvalidValueError, MAX_VALUE_DEPTH, validateValue, type ValueFormat } from '@quire/codec'
import { arbValue } from './values.js'

const reject = (value: unknown, format: ValueFormat): InvalidValueError => {
  try {
    validateValue(value, format)
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidValueError)
    expect((err as InvalidValueError).code).toBe('INVALID_VALUE')
    return err as InvalidValueError
  }
  throw new Error('expected INVALID_VALUE')
}

const nest = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('validateValue: examples', () => {
  for (const format of ['msgpack', 'json'] as const) {
    describe(format, () => {
      it('names the path of the offending value', () => {
        const when = reject({ data: { items: [1, 2, 3, { when: undefined }] } }, format)
        expect(when.path).toBe('data.items[3].when')
        expect(when.message).toContain('data.items[3].when')
        expect(reject({ 'odd key': [{ x: NaN }] }, format).path).toBe('["odd key"][0].x')
        expect(reject(undefined, format).path).toBe('')
      })

      it('rejects undefined in objects, arrays (holes too) and at the top', () => {
        expect(reject({ a: undefined }, format).path).toBe('a')
        expect(reject([1, undefined], format).path).toBe('[1]')
        // eslint-disable-next-line no-sparse-arrays
        expect(reject([1, , 3], format).path).toBe('[1]')
        expect(reject(undefined, format).message).toContain('undefined')
      })

      it('rejects functions, symbols and symbol keys', () => {
        expect(reject({ f: () => 1 }, format).path).toBe('f')
        expect(reject([Symbol('s')], format).path).toBe('[0]')
        expect(reject({ a: { [Symbol('k')]: 1 } }, format).path).toBe('a')
      })

      it('rejects NaN and ±Infinity', () => {
        expect(reject({ n: NaN }, format).path).toBe('n')
        expect(reject([Infinity], format).path).toBe('[0]')
        expect(reject({ x: { y: -Infinity } }, format).path).toBe('x.y')
      })

      it('rejects cycles but accepts a shared, non-cyclic reference', () => {
        const shared = { v: 1 }
        expect(() => validateValue({ a: shared, b: shared, c: [shared, shared] }, format)).not.toThrow()
        const cyclic: Record<string, unknown> = { a: 1 }
        cyclic.self = cyclic
        const err = reject({ root: cyclic }, format)
        expect(err.path).toBe('root.self')
        expect(err.message).toContain('cycle')
        const list: unknown[] = [1]
        list.push([list])
        expect(reject(list, format).path).toBe('[1][0]')
      })

      it('rejects class instances other than Date (and Uint8Array for msgpack)', () => {
        expect(reject({ m: new Map() }, format).message).toContain('Map')
        expect(reject({ s: new Set([1]) }, format).path).toBe('s')
        expect(reject({ r: /x/ }, format).message).toContain('RegExp')
        expect(reject({ p: new Point(1, 2) }, format).message).toContain('Point')
        expect(reject({ f: new Float32Array(2) }, format).message).toContain('Float32Array')
        expect(reject({ b: new ArrayBuffer(2) }, format).path).toBe('b')
        expect(reject({ n: Object(1) as unknown }, format).message).toContain('Number')
        expect(reject({ e: new Error('x') }, format).path).toBe('e')
      })

      it('rejects invalid Dates and accepts valid ones', () => {
        expect(reject({ when: new Date(NaN) }, format).path).toBe('when')
        expect(() => validateValue({ when: new Date(0), max: new Date(8.64e15) }, format)).not.toThrow()
      })

      it(`accepts exactly ${MAX_VALUE_DEPTH} nested containers and rejects ${MAX_VALUE_DEPTH + 1}`, () => {
        expect(() => validateValue(nest(MAX_VALUE_DEPTH), format)).not.toThrow()
        const err = reject(nest(MAX_VALUE_DEPTH + 1), format)
        expect(err.path).toBe('[0]'.repeat(MAX_VALUE_DEPTH))
        expect(err.message).toContain('deeper')
        // Far deeper than the stack would allow a naive walker: still a typed error.
        expect(reject(nest(100_000), format).code).toBe('INVALID_VALUE')
      })

      it('rejects the key "__proto__" (decoders refuse it)', () => {
        const value = JSON.parse('{"a":{"__proto__":{"x":1}}}') as unknown
        expect(reject(value, format).path).toBe('a.__proto__')
      })

      it('accepts null-prototype objects, plain values and a Date inside $date with siblings', () => {
        const bare = Object.assign(Object.create(null) as object, { a: 1 })
        expect(() => validateValue({ bare, s: '', n: -0, t: true, z: null, d: { $date: 'x', other: 1 } }, format)).not.toThrow()
        expect(() => validateValue({ $date: 5 }, format)).not.toThrow()
      })
    })
  }

  it('json: rejects binary, bigints and the ambiguous { $date: string }', () => {
    expect(reject({ bin: new Uint8Array(1) }, 'json').message).toContain('binary')
    expect(reject({ buf: Buffer.from('x') }, 'json').path).toBe('buf')
    expect(reject([1n], 'json').path).toBe('[0]')
    const err = reject({ when: { $date: '2020-01-01T00:00:00.000Z' } }, 'json')
    expect(err.path).toBe('when')
    expect(err.message).toContain('$date')
  })

  it('msgpack: accepts binary (Buffer too), 64-bit bigints and { $date: string }; rejects lone surrogates', () => {
    expect(() =>
      validateValue({ bin: new Uint8Array(1), buf: Buffer.from('x'), big: [2n ** 64n - 1n, -(2n ** 63n)], d: { $date: 'x' } }, 'msgpack'),
    ).not.toThrow()
    expect(reject({ big: 2n ** 64n }, 'msgpack').path).toBe('big')
    expect(reject({ big: -(2n ** 63n) - 1n }, 'msgpack').path).toBe('big')
    expect(reject({ s: 'a\ud800b' }, 'msgpack').path).toBe('s')
    expect(reject({ 'k\udc00': 1 }, 'msgpack').path).toBe('["k\\udc00"]')
    expect(() => validateValue({ s: 'a\ud800b' }, 'json')).not.toThrow()
  })

  it('rejects an unknown format with INVALID_ARGUMENT', () => {
    expect(() => validateValue(1, 'yaml' as ValueFormat)).toThrow(InvalidArgumentError)
  })
})

/** One way a value can be wrong, with the formats it is wrong for. */
const arbInvalid = (format: ValueFormat): fc.Arbitrary<unknown> => {
  const common: unknown[] = [
    undefined,
    () => 1,
    Symbol('x'),
    NaN,
    Infinity,
    -Infinity,
    new Map(),
    new Set(),
    /re/,
    new Date(NaN),
    new Point(1, 2),
    new Float64Array(1),
    new Uint8ClampedArray(1),
  ]
  const specific = format === 'json' ? [new Uint8Array(1), 1n, { $date: 'x' }] : ['\ud800', 2n ** 64n]
  return fc.constantFrom(...common, ...specific)
}

const IDENT = /^[A-Za-z_$][\w$]*$/
const expectedPath = (segments: readonly (string | number)[]): string =>
  segments
    .map((s, i) =>
      typeof s === 'number' ? `[${s}]` : IDENT.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`,
    )
    .join('')

describe('validateValue: properties', () => {
  for (const format of ['msgpack', 'json'] as const) {
    it(`${format}: accepts every value of the valid arbitrary`, async () => {
      await checkProperty(
        fc.property(arbValue(format), (value) => {
          validateValue(value, format)
        }),
        { numRuns: propertyRuns(300) },
      )
    })

    it(`${format}: an invalid value placed anywhere gives INVALID_VALUE with exactly its path`, async () => {
      const segment = fc.oneof(
        fc.nat({ max: 4 }),
        fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__' && !k.includes('\ud800')),
      )
      await checkProperty(
        fc.property(fc.array(segment, { maxLength: 6 }), arbInvalid(format), arbValue(format), (segments, bad, filler) => {
          let value: unknown = bad
          for (const segment of [...segments].reverse()) {
            if (typeof segment === 'number') {
              const array: unknown[] = Array.from({ length: segment + 2 }, () => filler)
              array[segment] = value
              value = array
            } else {
              // A sibling keeps the object from being exactly { $date: ... }.
              value = { [segment]: value, ...(segment === 'zz' ? { zy: filler } : { zz: filler }) }
            }
          }
          const err = (() => {
            try {
              validateValue(value, format)
            } catch (e) {
              return e
            }
            return undefined
          })()
          expect(err).toBeInstanceOf(InvalidValueError)
          expect((err as InvalidValueError).path).toBe(expectedPath(segments))
        }),
        { numRuns: propertyRuns(300) },
      )
    })
  }
})
