import { MAX_VALUE_DEPTH } from '@quire/codec'

/*
 * The fast path of copying an appended value (validation.ts, `copyJsonValue`). The reference
 * path validates with `@quire/codec`'s JSON rules, stringifies, parses the text back and measures
 * it: four passes and a string as large as the value, per event. This does the same in one walk
 * that builds the copy, freezes it (the index keeps it as it is: no second walk to freeze) and
 * counts the bytes `JSON.stringify` would write, without writing them.
 *
 * It handles only what is valid; on anything else (a value the rules refuse, a cycle, a depth at
 * the limit) it gives up and the reference path runs, so that errors, messages and every corner
 * of the rules stay exactly those of `@quire/codec`. test/value-copy.test.ts checks, over random
 * values, that both paths agree on the copy, on the byte count and on what they refuse.
 */

/** The value could not be copied here: run the reference path (which throws, or copies). */
export const UNSUPPORTED: unique symbol = Symbol('unsupported')

/** A copy and the UTF-8 length of the value's JSON encoding (Dates as `{"$date":"<ISO>"}`). */
export interface CopiedValue {
  readonly copy: unknown
  readonly bytes: number
}

/** Bytes counted by the walk so far; module state, reset by each top-level call (the walk never re-enters). */
let counted = 0

/**
 * Copies (deeply, frozen) a value `@quire/codec`'s JSON codec accepts and that holds no lone
 * surrogate, and measures its JSON encoding; {@link UNSUPPORTED} for anything else.
 */
export function copyValueFast(value: unknown): CopiedValue | typeof UNSUPPORTED {
  counted = 0
  const copy = copyAt(value, 0)
  return copy === UNSUPPORTED ? UNSUPPORTED : { copy, bytes: counted }
}

function copyAt(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string': {
      const bytes = jsonStringBytes(value)
      if (bytes < 0) return UNSUPPORTED
      counted += bytes
      return ownString(value)
    }
    case 'number':
      if (!Number.isFinite(value)) return UNSUPPORTED
      counted += numberBytes(value)
      // JSON writes -0 as 0, so the reference path's copy is 0.
      return value === 0 ? 0 : value
    case 'boolean':
      counted += value ? 4 : 5
      return value
    case 'object':
      if (value === null) {
        counted += 4
        return null
      }
      return copyObject(value, depth)
    default:
      // undefined, bigint, function, symbol: refused by the JSON rules.
      return UNSUPPORTED
  }
}

function copyObject(value: object, depth: number): unknown {
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Date.prototype) {
    const time = (value as Date).getTime()
    if (Number.isNaN(time)) return UNSUPPORTED
    // {"$date":"<ISO>"}: 12 bytes around the ISO text (ASCII, and longer for years past 9999).
    const copy = new Date(time)
    counted += 12 + copy.toISOString().length
    return Object.freeze(copy)
  }
  // At the depth limit the reference path decides (it also names a cycle, which ends up here).
  if (depth >= MAX_VALUE_DEPTH - 1) return UNSUPPORTED
  if (proto === Array.prototype && Array.isArray(value)) {
    const array = value as readonly unknown[]
    const n = array.length
    const copy = new Array<unknown>(n)
    counted += n === 0 ? 2 : n + 1 // brackets and commas
    for (let i = 0; i < n; i++) {
      // A hole reads as undefined, which is refused like it.
      const item = copyAt(array[i], depth + 1)
      if (item === UNSUPPORTED) return UNSUPPORTED
      copy[i] = item
    }
    return Object.freeze(copy)
  }
  if (proto !== Object.prototype && proto !== null) return UNSUPPORTED
  if (Object.getOwnPropertySymbols(value).length > 0) return UNSUPPORTED
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  const n = keys.length
  // {"$date": "<string>"} alone is how JSON stores a Date: refused (the reference path says so).
  if (n === 1 && keys[0] === '$date' && typeof record.$date === 'string') return UNSUPPORTED
  const copy: Record<string, unknown> = {}
  counted += n === 0 ? 2 : 2 * n + 1 // braces, colons and commas
  for (let i = 0; i < n; i++) {
    const key = keys[i]!
    if (key === '__proto__') return UNSUPPORTED
    const keyBytes = jsonStringBytes(key)
    if (keyBytes < 0) return UNSUPPORTED
    counted += keyBytes
    const item = copyAt(record[key], depth + 1)
    if (item === UNSUPPORTED) return UNSUPPORTED
    // Not "__proto__" (above), so this creates an own data property, in the same order as
    // JSON.parse of the reference path's text would.
    copy[key] = item
  }
  return Object.freeze(copy)
}

/**
 * Bytes of `JSON.stringify(text)` in UTF-8, quotes included; -1 when `text` holds a lone
 * surrogate (JSON would escape it, but a msgpack backend cannot carry it: refused).
 */
export function jsonStringBytes(text: string): number {
  const n = text.length
  let bytes = n + 2
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x80) return wideStringBytes(text)
    if (c < 0x20) bytes += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5 // \n, or \u0001
    else if (c === 0x22 || c === 0x5c) bytes += 1 // \" and \\
  }
  return bytes
}

/** UTF-8 length of `text`, or -1 when it holds a lone surrogate. An ASCII loop first: names and types are short. */
export function utf8BytesIfWellFormed(text: string): number {
  const n = text.length
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      return (text as string & { isWellFormed(): boolean }).isWellFormed() ? Buffer.byteLength(text, 'utf8') : -1
    }
  }
  return n
}

/** {@link jsonStringBytes} for text beyond ASCII. */
function wideStringBytes(text: string): number {
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) return -1
  let bytes = Buffer.byteLength(text, 'utf8') + 2
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20) bytes += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5
    else if (c === 0x22 || c === 0x5c) bytes += 1
  }
  return bytes
}

/**
 * A string the copy may keep. V8 makes `slice`, `substring` and regex captures of 13 characters
 * or more views of their parent string: keeping the caller's would keep its parent (a whole
 * request body, a whole CSV file) for as long as the event lives. Adding a character and slicing
 * it off again flattens into a new string of just this text (measured: ~75 ns for 30 characters);
 * shorter strings are always flat already.
 */
function ownString(text: string): string {
  return text.length < 13 ? text : (text + ' ').slice(0, -1)
}

/** Bytes of `JSON.stringify(n)` for a finite number (ASCII: one byte per character). */
function numberBytes(n: number): number {
  if (Number.isInteger(n) && n > -1e9 && n < 1e9) {
    let digits = n <= 0 ? 1 : 0 // "0", or the minus sign
    for (let m = Math.abs(n); m >= 1; m = Math.floor(m / 10)) digits++
    return digits
  }
  return String(n).length
}
