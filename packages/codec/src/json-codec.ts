import { DecodeError, InvalidArgumentError, typedEncodeFailure } from './errors.js'
import { inspectValue, MAX_VALUE_DEPTH } from './validate.js'
import type { ValueCodec } from './value-codec.js'

/** The JSON codec: a {@link ValueCodec} that can also work on text. */
export interface JsonCodec extends ValueCodec {
  /**
   * Validates and stringifies `value` (Dates as `{"$date":"<ISO-8601 with ms>"}`).
   *
   * @throws {@link InvalidValueError} (code `INVALID_VALUE`).
   */
  stringify(value: unknown): string
  /**
   * Parses text written by `stringify` (or any JSON), turning `{"$date": "<ISO>"}` objects
   * back into Dates.
   *
   * @throws {@link DecodeError} (code `CORRUPT`).
   */
  parse(text: string): unknown
}

const textEncoder = new TextEncoder()
// fatal: invalid UTF-8 is an error, not silently replaced by U+FFFD.
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * A copy of a validated value with every Date replaced by `{ $date: ISO }`. Faster than a
 * JSON.stringify replacer, which is called back for every key of every object.
 */
function datesToJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof Date) return { $date: value.toISOString() }
  if (Array.isArray(value)) return value.map(datesToJson)
  const out: Record<string, unknown> = {}
  // Validated: no "__proto__" key, so plain assignment only creates own properties.
  for (const key of Object.keys(value)) out[key] = datesToJson((value as Record<string, unknown>)[key])
  return out
}

function reviveDate(text: string): Date {
  const date = new Date(text)
  // Only the exact form toISOString writes is accepted, so every Date decodes one way only.
  if (Number.isNaN(date.getTime()) || date.toISOString() !== text) {
    throw new DecodeError(`json: {"$date": ${JSON.stringify(text).slice(0, 64)}} is not an ISO-8601 timestamp with ms`)
  }
  return date
}

/** Checks and revives a parsed value in place (Dates, depth, non-finite numbers, `__proto__`). */
function revive(value: unknown, depth: number): unknown {
  if (typeof value === 'number') {
    // JSON.parse turns 1e999 into Infinity.
    if (!Number.isFinite(value)) throw new DecodeError('json: number out of the finite double range')
    return value
  }
  if (typeof value !== 'object' || value === null) return value
  // Members are checked in the loops and only containers recursed into, and a member is stored
  // back only when it changed (a Date): a keyed store per member made this walk cost half as much
  // as JSON.parse itself on small records.
  if (Array.isArray(value)) {
    if (depth >= MAX_VALUE_DEPTH) throw new DecodeError(`json: nested deeper than ${MAX_VALUE_DEPTH} arrays/objects`)
    for (let i = 0; i < value.length; i++) {
      const member: unknown = value[i]
      if (typeof member === 'object' && member !== null) {
        const revived = revive(member, depth + 1)
        if (revived !== member) value[i] = revived
      } else if (typeof member === 'number') revive(member, depth + 1)
    }
    return value
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  // A Date is a leaf, so it is recognised before the depth check, as the validator does.
  if (keys.length === 1 && keys[0] === '$date' && typeof record.$date === 'string') return reviveDate(record.$date)
  if (depth >= MAX_VALUE_DEPTH) throw new DecodeError(`json: nested deeper than ${MAX_VALUE_DEPTH} arrays/objects`)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    // JSON.parse makes "__proto__" an own property (harmless), but assigning to it below would
    // set a prototype, and msgpack refuses it: both codecs refuse it.
    if (key === '__proto__') throw new DecodeError('json: the key "__proto__" is not allowed')
    const member = record[key]
    if (typeof member === 'object' && member !== null) {
      const revived = revive(member, depth + 1)
      if (revived !== member) record[key] = revived
    } else if (typeof member === 'number') revive(member, depth + 1)
  }
  return record
}

function parse(text: string): unknown {
  if (typeof text !== 'string') throw new InvalidArgumentError('jsonCodec.parse expects a string')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new DecodeError(`json: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  return revive(value, 0)
}

function stringify(value: unknown): string {
  return typedEncodeFailure(() => {
    const facts = inspectValue(value, 'json')
    // Validated: JSON.stringify returns a string (never undefined) and cannot throw, unless a
    // getter answers it differently than it answered the validation (typedEncodeFailure).
    return JSON.stringify(facts.hasDate ? datesToJson(value) : value)
  })
}

/**
 * The JSON codec: UTF-8 JSON text. Dates are written as `{"$date":"<ISO-8601 with ms>"}`
 * (`Date.prototype.toISOString`); an input object that is exactly `{ $date: <string> }` is
 * refused as ambiguous. Binary and bigints are refused.
 */
export const jsonCodec: JsonCodec = {
  format: 'json',
  stringify,
  parse,
  encode(value: unknown): Uint8Array {
    return textEncoder.encode(stringify(value))
  },
  decode(bytes: Uint8Array): unknown {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('jsonCodec.decode expects a Uint8Array')
    let text: string
    try {
      text = textDecoder.decode(bytes)
    } catch (err) {
      throw new DecodeError('json: bytes are not valid UTF-8', { cause: err })
    }
    return parse(text)
  },
}
