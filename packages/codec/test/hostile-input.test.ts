import { arbHostile, checkProperty, fc, isTypedError, prototypePolluted } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { crc32, encodeFrame, jsonCodec, msgpackCodec, scanFrames, validateValue } from '../src/index.js'

const CODES = ['INVALID_VALUE', 'INVALID_ARGUMENT', 'CORRUPT', 'FRAME_TOO_LARGE']
const arbValue = fc.oneof(arbHostile(), fc.array(arbHostile(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), arbHostile(), { maxKeys: 3 }))

/** Runs `call`: it returns, or throws a typed error — never a TypeError or a RangeError from inside. */
function typedOrReturns(call: () => unknown): unknown {
  try {
    return call()
  } catch (err) {
    expect(isTypedError(err, CODES), String(err)).toBe(true)
    return undefined
  } finally {
    expect(prototypePolluted()).toBe(false)
  }
}

describe('hostile input: every entry point returns or throws a typed error', () => {
  it('msgpackCodec and jsonCodec encode/stringify/validateValue: refused, or decoded back equal', async () => {
    await checkProperty(
      fc.property(arbValue, (value) => {
        for (const codec of [msgpackCodec, jsonCodec]) {
          const bytes = typedOrReturns(() => codec.encode(value)) as Uint8Array | undefined
          if (bytes !== undefined) expect(() => codec.decode(bytes)).not.toThrow()
        }
        typedOrReturns(() => jsonCodec.stringify(value))
        typedOrReturns(() => validateValue(value, 'json'))
        typedOrReturns(() => validateValue(value, 'xml' as 'json'))
      }),
      { numRuns: 300 },
    )
  })

  it('decode/parse of hostile input', async () => {
    await checkProperty(
      fc.property(fc.oneof(arbHostile(), fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 64 })), (input) => {
        typedOrReturns(() => msgpackCodec.decode(input as Uint8Array))
        typedOrReturns(() => jsonCodec.decode(input as Uint8Array))
        typedOrReturns(() => jsonCodec.parse(input as string))
      }),
      { numRuns: 300 },
    )
  })

  it('frames: encodeFrame, scanFrames, FrameScanner and crc32 with hostile arguments', async () => {
    await checkProperty(
      // Hostile data; options absent or valid (options objects are issue 14's side).
      fc.property(arbHostile(), fc.constantFrom(undefined, {}, { maxFrameBytes: 16 }), (a, options) => {
        typedOrReturns(() => encodeFrame(a as Uint8Array, options))
        typedOrReturns(() => scanFrames(a as Uint8Array, options))
        typedOrReturns(() => crc32(a as Uint8Array))
      }),
      { numRuns: 300 },
    )
  })

  it('a getter that changes its answer between validation and encoding never yields bytes that decode to something the codec refuses', () => {
    for (const codec of [msgpackCodec, jsonCodec]) {
      let reads = 0
      const value = {
        get n(): unknown {
          return reads++ === 0 ? 1 : 10n
        },
      }
      const bytes = typedOrReturns(() => codec.encode(value)) as Uint8Array | undefined
      if (bytes !== undefined) expect(() => codec.decode(bytes)).not.toThrow()
    }
  })
})
