import { fc } from '@quire/test-kit'

/** Keys the codecs accept in any position ("__proto__" is refused; "$date" is special in JSON). */
const arbKey = (json: boolean): fc.Arbitrary<string> =>
  fc
    .oneof(fc.string({ maxLength: 8 }), fc.constantFrom('a', 'b', 'items', 'when', '0', '1', 'constructor', 'toJSON', '$date'))
    .filter((k) => k !== '__proto__' && !(json && k === '$date'))

/** Valid values for a codec: JSON-like trees plus Dates (and binary and bigints for msgpack). */
export function arbValue(format: 'msgpack' | 'json'): fc.Arbitrary<unknown> {
  const json = format === 'json'
  const strings = json
    ? fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('$date', '2020-01-01T00:00:00.000Z'))
    : fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }))
  const leaves: fc.Arbitrary<unknown>[] = [
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, 1e300),
    strings,
    fc.date({ noInvalidDate: true }),
  ]
  if (!json) {
    leaves.push(fc.uint8Array({ maxLength: 20 }))
    leaves.push(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }))
  }
  const { value } = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.oneof(...leaves), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 5 }),
    object: fc.dictionary(arbKey(json), tie('value'), { maxKeys: 5 }),
  }))
  return value
}

/** What a decoded value must equal: -0 reads back as 0, Buffers as Uint8Arrays, objects as plain ones. */
export function normalize(value: unknown): unknown {
  if (Object.is(value, -0)) return 0
  if (value instanceof Uint8Array) return new Uint8Array(value)
  if (value instanceof Date || typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(normalize)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: normalize(v), enumerable: true, writable: true, configurable: true })
  return out
}

/** Deep equality that tells -0 from 0, bigint from number, and Uint8Array content. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false
  if (typeof a !== 'object' || a === null || b === null) return Object.is(a, b)
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime()
  if (a instanceof Uint8Array) {
    return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i])
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]))
  if (Array.isArray(b) || b instanceof Date || b instanceof Uint8Array) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b as object)
  return (
    ka.length === kb.length &&
    ka.every((k) => Object.hasOwn(b as object, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  )
}
