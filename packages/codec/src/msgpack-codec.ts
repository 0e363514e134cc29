import { Decoder, Encoder, ExtData } from '@msgpack/msgpack'
import { DecodeError, InvalidArgumentError, typedEncodeFailure } from './errors.js'
import { inspectValue, MAX_VALUE_DEPTH } from './validate.js'
import type { ValueCodec } from './value-codec.js'

// useBigInt64: bigints are written as int 64 / uint 64 and read back as bigints, while numbers
// beyond 32 bits are written as float 64 (exact for safe integers) and read back as numbers.
// So a number stays a number and a bigint stays a bigint.
const encoder = new Encoder({ useBigInt64: true, maxDepth: MAX_VALUE_DEPTH + 1 })

/**
 * A decoder whose declared-length limits are the input size: every string, binary or extension
 * byte and every array item or map entry takes at least one byte, so a larger declared length
 * is a lie and is refused before anything is allocated for it.
 */
function newDecoder(byteLength: number): Decoder {
  return new Decoder({
    useBigInt64: true,
    maxStrLength: byteLength,
    maxBinLength: byteLength,
    maxExtLength: byteLength,
    maxArrayLength: byteLength,
    maxMapLength: byteLength,
  })
}

/**
 * The decoders made so far, by input size (their limits), so that decoding values of the sizes
 * seen before makes no decoder (about 240 bytes each, a tenth of an MVCC commit's allocations).
 * Reusing one is what @msgpack/msgpack's README recommends; `decode` is synchronous and resets
 * the decoder's state at each call, and a decode entered again while one runs (not possible
 * here: no extension of ours calls back) gets a clone from the library. Emptied when full, so it
 * holds at most {@link MAX_CACHED_DECODERS}.
 */
const decoders = new Map<number, Decoder>()
const MAX_CACHED_DECODERS = 64

function decoderFor(byteLength: number): Decoder {
  let decoder = decoders.get(byteLength)
  if (decoder === undefined) {
    if (decoders.size >= MAX_CACHED_DECODERS) decoders.clear()
    decoder = newDecoder(byteLength)
    decoders.set(byteLength, decoder)
  }
  return decoder
}

/**
 * Checks and finishes a freshly decoded value in place: depth limit, no unknown extensions,
 * no non-finite numbers or invalid Dates (another writer may have produced them), and binary
 * values copied so they do not alias the caller's buffer (the decoder hands out views). Only
 * those are written back: every other value is checked where it lies.
 */
function finish(value: unknown, depth: number): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DecodeError(`msgpack: ${String(value)} is not a finite number`)
    return value
  }
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof Uint8Array) return value.slice()
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new DecodeError('msgpack: timestamp out of the Date range')
    return value
  }
  if (value instanceof ExtData) throw new DecodeError(`msgpack: unknown extension type ${value.type}`)
  if (depth >= MAX_VALUE_DEPTH) throw new DecodeError(`msgpack: nested deeper than ${MAX_VALUE_DEPTH} arrays/maps`)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      const done = finish(item, depth + 1)
      if (done !== item) value[i] = done
    }
    return value
  }
  const record = value as Record<string, unknown>
  // The decoder builds maps as fresh plain objects and refuses the key "__proto__", so these
  // assignments only ever replace own data properties.
  for (const key of Object.keys(record)) {
    const item = record[key]
    const done = finish(item, depth + 1)
    if (done !== item) record[key] = done
  }
  return record
}

/**
 * The msgpack value codec (via `@msgpack/msgpack`). Dates use the msgpack timestamp extension
 * (type -1, millisecond precision), `Uint8Array`/`Buffer` are msgpack binary (decoded as a fresh
 * `Uint8Array`), bigints in [-2^63, 2^64-1] are int 64 / uint 64 and decode as bigints.
 */
export const msgpackCodec: ValueCodec = {
  format: 'msgpack',
  encode(value: unknown): Uint8Array {
    return typedEncodeFailure(() => {
      inspectValue(value, 'msgpack')
      return encoder.encode(value)
    })
  },
  decode(bytes: Uint8Array): unknown {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('msgpackCodec.decode expects a Uint8Array')
    let value: unknown
    try {
      value = decoderFor(bytes.byteLength).decode(bytes)
    } catch (err) {
      throw new DecodeError(`msgpack: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    return finish(value, 0)
  },
}
