import { describe, expect, it } from 'vitest'
import { jsonCodec, validateValue } from '@quire/codec'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { isLowercaseUuid, newEventId, normalizeEventId } from '../src/event-id.js'
import { copyValueFast, jsonStringBytes, UNSUPPORTED, utf8BytesIfWellFormed } from '../src/value-copy.js'

/*
 * The fast paths of validation (value-copy.ts, event-id.ts) against the reference they replace:
 * `@quire/codec`'s JSON codec (validate, stringify, parse back, measure) and the UUID regex.
 */

/** What the reference path did: the copy and byte count, or the refusal. */
function reference(value: unknown): { readonly copy: unknown; readonly bytes: number } | 'refused' {
  try {
    const text = jsonCodec.stringify(value)
    if (text.includes('\\ud') || text.includes('\\uD')) validateValue(value, 'msgpack')
    return { copy: jsonCodec.parse(text), bytes: Buffer.byteLength(text, 'utf8') }
  } catch {
    return 'refused'
  }
}

function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  if (!Object.isFrozen(value)) return false
  return Object.values(value).every(isDeeplyFrozen)
}

/** Objects of `a` reachable also from `b` (the copy must share none with the input). */
function shared(a: unknown, b: unknown, seen = new Set<object>()): boolean {
  if (typeof a === 'object' && a !== null) seen.add(a)
  if (typeof b !== 'object' || b === null) return false
  if (seen.has(b)) return true
  return Object.values(b).some((v) => shared(undefined, v, seen))
}

/** An array with a hole (index 1). */
const holey = (): unknown[] => {
  const a: unknown[] = [1]
  a[2] = 3
  return a
}

const tricky = fc.oneof(
  fc.constantFrom('', '"', '\\', '\n\t\b\f\r', '\u0000\u0001\u001f', '\u007f', '\u2028', 'é', '😀', '\ud800', 'a\udc00b', '$date', '__proto__'),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 40 }).map((s) => `${'x'.repeat(100)}${s}`.slice(100)),
)

const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 1e21, 1e-7, 123456789012, -1e9, 1e9, 999999999, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY),
    tricky,
    fc.date(),
    fc.constantFrom<unknown>(undefined, 1n, () => 1, Symbol('s'), new Uint8Array(2), new Map(), holey(), Object.create(null), { $date: 'x' }),
    fc.constant(JSON.parse('{"__proto__": 1}') as unknown),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
    fc.dictionary(tricky, tie('value'), { maxKeys: 2 }).map((o) => Object.assign(Object.create(null) as object, o)),
  ),
})).value

describe('copyValueFast', () => {
  it('agrees with the JSON codec on the copy, on the byte count and on what it refuses', async () => {
    await checkProperty(
      fc.property(anyValue, (value) => {
        const fast = copyValueFast(value)
        const ref = reference(value)
        if (fast === UNSUPPORTED) return // the reference path runs and decides
        expect(ref).not.toBe('refused')
        if (ref === 'refused') return
        expect(fast.bytes).toBe(ref.bytes)
        expect(fast.copy).toEqual(ref.copy)
        expect(isDeeplyFrozen(fast.copy)).toBe(true)
        expect(shared(value, fast.copy)).toBe(false)
      }),
      { numRuns: propertyRuns(500) },
    )
  })

  it('takes every value the codec accepts without a lone surrogate, short of the depth limit', async () => {
    const valid = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string(),
        fc.date({ noInvalidDate: true }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string().filter((k) => k !== '__proto__' && k !== '$date'), tie('value'), { maxKeys: 4 }),
      ),
    })).value
    await checkProperty(
      fc.property(valid, (value) => {
        const fast = copyValueFast(value)
        expect(fast).not.toBe(UNSUPPORTED)
        if (fast !== UNSUPPORTED) expect(fast.bytes).toBe(Buffer.byteLength(jsonCodec.stringify(value)))
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('gives a cycle and a value at the depth limit to the reference path', () => {
    const cycle: Record<string, unknown> = { a: 1 }
    cycle.self = cycle
    expect(copyValueFast(cycle)).toBe(UNSUPPORTED)
    let deep: unknown = 1
    for (let i = 0; i < 600; i++) deep = [deep]
    expect(copyValueFast(deep)).toBe(UNSUPPORTED)
  })

  it('measures strings as JSON writes them', async () => {
    await checkProperty(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => {
        const wellFormed = (text as string & { isWellFormed(): boolean }).isWellFormed()
        expect(jsonStringBytes(text)).toBe(wellFormed ? Buffer.byteLength(JSON.stringify(text)) : -1)
        expect(utf8BytesIfWellFormed(text)).toBe(wellFormed ? Buffer.byteLength(text) : -1)
      }),
      { numRuns: propertyRuns(500) },
    )
  })
})

describe('event ids', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

  it('generates distinct lowercase version-4 UUIDs', () => {
    const ids = new Set<string>()
    for (let i = 0; i < 2000; i++) ids.add(newEventId())
    expect(ids.size).toBe(2000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('normalizes exactly the strings the UUID pattern accepts, to lowercase', async () => {
    const hex = fc.constantFrom(...'0123456789abcdefABCDEFgG-x'.split(''))
    const uuidLike = fc.array(hex, { minLength: 35, maxLength: 37 }).map((cs) => cs.join(''))
    const real = fc.uuid().map((u) => u.toUpperCase())
    await checkProperty(
      fc.property(fc.oneof(uuidLike, real, fc.uuid(), fc.string()), (text) => {
        expect(normalizeEventId(text)).toBe(UUID.test(text) ? text.toLowerCase() : undefined)
        expect(isLowercaseUuid(text)).toBe(UUID.test(text) && text === text.toLowerCase())
      }),
      { numRuns: propertyRuns(500) },
    )
  })
})
