import { jsonCodec, msgpackCodec } from '@quire/codec'
import { InvalidArgumentError } from './errors.js'

/** Turns states into bytes and back. `msgpackCodec` and `jsonCodec` of `@quire/codec` are two. */
export interface StateCodec {
  /** The state as bytes; throw when it cannot be encoded (the save then rejects, nothing written). */
  encode(value: unknown): Uint8Array
  /** The state back from bytes `encode` made; throw on bytes it does not accept (the file is skipped as damaged). */
  decode(bytes: Uint8Array): unknown
}

/** `'raw'`: the state is a `Uint8Array` stored as is and returned as is (for callers that encode their own state). */
export type CodecOption = StateCodec | 'raw'

/** Codec ids in the file (see FORMAT.md). */
export const CODEC_RAW = 0
export const CODEC_MSGPACK = 1
export const CODEC_JSON = 2
export const CODEC_CUSTOM = 3
export const MAX_CODEC_ID = CODEC_CUSTOM

/** A resolved codec: its id in the file, and how to turn a state into bytes and back. */
export interface ResolvedCodec {
  readonly id: number
  /** Throws `InvalidArgumentError` when the state cannot be encoded. */
  encode(state: unknown): Uint8Array
  /** Throws whatever the codec throws on bad bytes (the caller treats it as damage). */
  decode(bytes: Uint8Array): unknown
}

export function resolveCodec(option: CodecOption | undefined): ResolvedCodec {
  if (option === 'raw') {
    return {
      id: CODEC_RAW,
      encode(state) {
        if (!(state instanceof Uint8Array)) {
          throw new InvalidArgumentError("with codec 'raw' the state must be a Uint8Array")
        }
        return state
      },
      decode: (bytes) => bytes,
    }
  }
  const codec = option ?? msgpackCodec
  if (typeof codec !== 'object' || codec === null || typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new InvalidArgumentError("codec must be 'raw' or an object with encode and decode functions")
  }
  const id = codec === msgpackCodec ? CODEC_MSGPACK : codec === jsonCodec ? CODEC_JSON : CODEC_CUSTOM
  return {
    id,
    encode(state) {
      let bytes: unknown
      try {
        bytes = codec.encode(state)
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err)
        throw new InvalidArgumentError(`state cannot be encoded: ${why}`, { cause: err })
      }
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('codec.encode did not return a Uint8Array')
      return bytes
    },
    decode: (bytes) => codec.decode(bytes),
  }
}
