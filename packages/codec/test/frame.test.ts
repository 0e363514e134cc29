import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import {
  crc32,
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  encodeFrames,
  FRAME_OVERHEAD_BYTES,
  FrameTooLargeError,
  InvalidArgumentError,
  scanFrames,
} from '@quire/codec'
import { arbPayload } from './helpers.js'

describe('encodeFrame', () => {
  it('lays out [u32 LE length][payload][u32 LE CRC over length + payload]', () => {
    const frame = encodeFrame(new Uint8Array([0x61, 0x62, 0x63]))
    expect(frame.length).toBe(3 + FRAME_OVERHEAD_BYTES)
    expect([...frame.subarray(0, 7)]).toEqual([3, 0, 0, 0, 0x61, 0x62, 0x63])
    const crc = crc32(frame.subarray(0, 7))
    expect(new DataView(frame.buffer).getUint32(7, true)).toBe(crc)
    // The documented example in FORMAT.md.
    expect(Buffer.from(frame).toString('hex')).toBe('03000000616263' + Buffer.from(frame.subarray(7)).toString('hex'))
  })

  it('frames an empty payload as 8 bytes that are not all zero', () => {
    const frame = encodeFrame(new Uint8Array(0))
    expect([...frame]).toEqual([0, 0, 0, 0, 0x1c, 0xdf, 0x44, 0x21])
  })

  it('refuses a payload above maxFrameBytes with FRAME_TOO_LARGE, before allocating', () => {
    expect(() => encodeFrame(new Uint8Array(11), { maxFrameBytes: 10 })).toThrow(FrameTooLargeError)
    expect(() => encodeFrame(new Uint8Array(DEFAULT_MAX_FRAME_BYTES + 1))).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_LARGE', payloadBytes: DEFAULT_MAX_FRAME_BYTES + 1 }),
    )
    expect(encodeFrame(new Uint8Array(10), { maxFrameBytes: 10 }).length).toBe(18)
  })

  it('refuses what is not a Uint8Array and bad limits with INVALID_ARGUMENT', () => {
    expect(() => encodeFrame('abc' as unknown as Uint8Array)).toThrow(InvalidArgumentError)
    expect(() => encodeFrame(new Uint8Array(1), { maxFrameBytes: -1 })).toThrow(InvalidArgumentError)
    expect(() => encodeFrame(new Uint8Array(1), { maxFrameBytes: 1.5 })).toThrow(InvalidArgumentError)
    expect(() => encodeFrame(new Uint8Array(1), { maxFrameBytes: 2 ** 32 })).toThrow(InvalidArgumentError)
  })

  it('accepts a Buffer and a view into a larger buffer', () => {
    const big = new Uint8Array([9, 9, 1, 2, 3, 9])
    expect([...encodeFrame(big.subarray(2, 5)).subarray(4, 7)]).toEqual([1, 2, 3])
    expect(encodeFrame(Buffer.from('hi')).length).toBe(10)
  })
})

describe('encodeFrames', () => {
  it('is the concatenation of encodeFrame, in one buffer', async () => {
    await checkProperty(
      fc.property(fc.array(arbPayload(), { maxLength: 10 }), (payloads) => {
        const joined = encodeFrames(payloads)
        const separate = payloads.map((p) => [...encodeFrame(p)]).flat()
        expect([...joined]).toEqual(separate)
      }),
      { numRuns: propertyRuns(100) },
    )
  })

  it('checks every payload before it allocates anything', () => {
    expect(() => encodeFrames([new Uint8Array(1), new Uint8Array(5)], { maxFrameBytes: 4 })).toThrow(FrameTooLargeError)
    expect(() => encodeFrames([new Uint8Array(1), 'x' as unknown as Uint8Array])).toThrow(InvalidArgumentError)
    expect(() => encodeFrames('x' as unknown as Uint8Array[])).toThrow(InvalidArgumentError)
    expect(encodeFrames([]).length).toBe(0)
  })
})

describe('round trip', () => {
  it('scanFrames gives back exactly the payloads written, with their offsets, and status clean', async () => {
    await checkProperty(
      fc.property(fc.array(arbPayload(), { maxLength: 20 }), (payloads) => {
        const bytes = encodeFrames(payloads)
        const result = scanFrames(bytes)
        expect(result.status).toBe('clean')
        expect(result.end).toBe(bytes.length)
        expect(result.corruptAt).toBeUndefined()
        expect(result.frames.map((f) => [...f.payload])).toEqual(payloads.map((p) => [...p]))
        let offset = 0
        for (const [i, frame] of result.frames.entries()) {
          expect(frame.offset).toBe(offset)
          offset += payloads[i]!.length + FRAME_OVERHEAD_BYTES
        }
      }),
      { numRuns: propertyRuns(200) },
    )
  })
})
