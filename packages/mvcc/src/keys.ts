import { InvalidArgumentError } from './errors.js'

import { MAX_KEY_BYTES } from './limits.js'

/** `String.prototype.isWellFormed` (Node >= 20; not yet in TypeScript's ES2023 lib). */
interface WellFormedString {
  isWellFormed(): boolean
}

/**
 * Orders keys bytewise by their UTF-8 encoding, which is code point order.
 *
 * JavaScript's `<` compares UTF-16 code units, which agrees with code point order except when
 * one side holds a surrogate (an astral character, U+10000 and up) and the other a code unit in
 * U+E000..U+FFFF: `'\uFFFF' < '😀'` in UTF-8, but not in UTF-16. We walk to the first differing
 * code unit and, only when both are >= 0xD800, shift surrogates above U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return utf8Rank(x) - utf8Rank(y)
      return x - y
    }
  }
  return a.length - b.length
}

/** Surrogates (0xD800..0xDFFF) start code points above 0xFFFF, so they sort after 0xE000..0xFFFF. */
function utf8Rank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000
}

/** Throws `InvalidArgumentError` unless `key` is a non-empty, well-formed string of at most `MAX_KEY_BYTES`. */
export function validateKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${typeof key}`)
  if (key.length === 0) throw new InvalidArgumentError(`${what} must not be empty`)
  // UTF-16 length is a cheap upper bound check first: each code unit is at most 3 UTF-8 bytes.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidArgumentError(`${what} is longer than MAX_KEY_BYTES (${MAX_KEY_BYTES})`)
  }
  // A lone (unpaired) surrogate has no UTF-8 encoding.
  if (!(key as unknown as WellFormedString).isWellFormed()) {
    throw new InvalidArgumentError(`${what} contains a lone surrogate (not valid UTF-8)`)
  }
}

/** A half-open key range `[gte, lt)`; a missing bound is unbounded. */
export interface KeyRange {
  readonly gte: string | undefined
  readonly lt: string | undefined
}

/** Whether `key` lies in `range`. */
export function inRange(key: string, range: KeyRange): boolean {
  if (range.gte !== undefined && compareKeys(key, range.gte) < 0) return false
  if (range.lt !== undefined && compareKeys(key, range.lt) >= 0) return false
  return true
}

/**
 * The smallest string greater (in UTF-8 order) than every string starting with `prefix`, or
 * undefined when there is none (every code point of the prefix is U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!)
  while (points.length > 0) {
    const last = points.pop()!
    if (last < 0x10ffff) {
      // Skip the surrogate block: those are not code points a well-formed string can hold.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1
      return String.fromCodePoint(...points, next)
    }
  }
  return undefined
}

/** Options of `Transaction.scan`. */
export interface ScanOptions {
  /** Only keys starting with this string. */
  readonly prefix?: string
  /** Only keys >= this one (UTF-8 order). */
  readonly gte?: string
  /** Only keys < this one (UTF-8 order). */
  readonly lt?: string
  /** Descending order. */
  readonly reverse?: boolean
  /** At most this many entries. */
  readonly limit?: number
}

/** Validates scan options and turns them into one `[gte, lt)` range. */
export function scanRange(options: ScanOptions): KeyRange {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('scan options must be an object')
  let gte: string | undefined
  let lt: string | undefined
  if (options.gte !== undefined) {
    validateKey(options.gte, 'scan gte')
    gte = options.gte
  }
  if (options.lt !== undefined) {
    validateKey(options.lt, 'scan lt')
    lt = options.lt
  }
  if (options.prefix !== undefined) {
    if (typeof options.prefix !== 'string') throw new InvalidArgumentError('scan prefix must be a string')
    if (options.prefix.length > 0) {
      validateKey(options.prefix, 'scan prefix')
      if (gte === undefined || compareKeys(options.prefix, gte) > 0) gte = options.prefix
      const upper = prefixUpperBound(options.prefix)
      if (upper !== undefined && (lt === undefined || compareKeys(upper, lt) < 0)) lt = upper
    }
  }
  if (options.limit !== undefined && (!Number.isSafeInteger(options.limit) || options.limit < 0)) {
    throw new InvalidArgumentError('scan limit must be a non-negative integer')
  }
  if (options.reverse !== undefined && typeof options.reverse !== 'boolean') {
    throw new InvalidArgumentError('scan reverse must be a boolean')
  }
  return { gte, lt }
}
