import { crc32 as zlibCrc32 } from 'node:zlib'
import { fc } from '@quire/test-kit'
import { encodeFrame } from '@quire/codec'

/** A log: the payloads, the frames back to back, and where each frame starts and ends. */
export interface Log {
  readonly payloads: Uint8Array[]
  readonly bytes: Uint8Array
  readonly starts: number[]
  readonly ends: number[]
}

export function buildLog(payloads: Uint8Array[]): Log {
  const frames = payloads.map((p) => encodeFrame(p))
  const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
  const starts: number[] = []
  const ends: number[] = []
  let pos = 0
  for (const frame of frames) {
    bytes.set(frame, pos)
    starts.push(pos)
    pos += frame.length
    ends.push(pos)
  }
  return { payloads, bytes, starts, ends }
}

export const arbPayload = (maxLength = 200): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength }),
    // Low-entropy payloads (zeros, repeated bytes) are what real records and torn tails look like.
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.nat({ max: maxLength })).map(([b, n]) => new Uint8Array(n).fill(b)),
  )

export const arbLog = (maxFrames = 12, maxLength = 200): fc.Arbitrary<Log> =>
  fc.array(arbPayload(maxLength), { maxLength: maxFrames }).map(buildLog)

/**
 * The documented scan rule, written as plainly as possible (DataView, no shortcuts), to check
 * the optimised scanners against.
 */
export function referenceScan(
  bytes: Uint8Array,
  maxFrameBytes: number,
  start = 0,
): { frames: { offset: number; payload: number[] }[]; end: number; status: string; corruptAt?: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const goodAt = (pos: number): number => {
    if (pos + 8 > bytes.length) return -1
    const length = view.getUint32(pos, true)
    if (length > maxFrameBytes || pos + 8 + length > bytes.length) return -1
    const crc = zlibCrc32(bytes.slice(pos, pos + 4 + length))
    return crc === view.getUint32(pos + 4 + length, true) ? length : -1
  }
  const frames: { offset: number; payload: number[] }[] = []
  let pos = start
  for (;;) {
    const length = goodAt(pos)
    if (length < 0) break
    frames.push({ offset: pos, payload: [...bytes.slice(pos + 4, pos + 4 + length)] })
    pos += length + 8
  }
  if (pos === bytes.length) return { frames, end: pos, status: 'clean' }
  for (let q = pos + 1; q < bytes.length; q++) {
    if (goodAt(q) >= 0) return { frames, end: pos, status: 'corrupt', corruptAt: pos }
  }
  return { frames, end: pos, status: 'torn' }
}

/** A scan result in a comparable shape (payloads as plain arrays). */
export function plain(result: {
  frames: readonly { offset: number; payload: Uint8Array }[]
  end: number
  status: string
  corruptAt?: number
}): { frames: { offset: number; payload: number[] }[]; end: number; status: string; corruptAt?: number } {
  return {
    frames: result.frames.map((f) => ({ offset: f.offset, payload: [...f.payload] })),
    end: result.end,
    status: result.status,
    ...(result.corruptAt === undefined ? {} : { corruptAt: result.corruptAt }),
  }
}

/** Byte strings a scanner should be checked on: clean, truncated, damaged logs and garbage. */
export const arbScanInput: fc.Arbitrary<Uint8Array> = fc.oneof(
  arbLog().map((log) => log.bytes),
  fc.tuple(arbLog(), fc.nat()).map(([log, cut]) => log.bytes.slice(0, cut % (log.bytes.length + 1))),
  fc
    .tuple(arbLog(), fc.nat(), fc.integer({ min: 0, max: 7 }))
    .filter(([log]) => log.bytes.length > 0)
    .map(([log, at, bit]) => {
      const bytes = log.bytes.slice()
      bytes[at % bytes.length]! ^= 1 << bit
      return bytes
    }),
  fc
    .tuple(arbLog(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 }))
    .filter(([log]) => log.bytes.length > 0)
    .map(([log, at, junk]) => {
      const bytes = log.bytes.slice()
      bytes.set(junk.subarray(0, Math.max(0, bytes.length - (at % bytes.length))), at % bytes.length)
      return bytes
    }),
  // Two logs with junk between them: a valid frame after a bad one.
  fc.tuple(arbLog(4), fc.uint8Array({ maxLength: 20 }), arbLog(4)).map(([a, junk, b]) => {
    const bytes = new Uint8Array(a.bytes.length + junk.length + b.bytes.length)
    bytes.set(a.bytes, 0)
    bytes.set(junk, a.bytes.length)
    bytes.set(b.bytes, a.bytes.length + junk.length)
    return bytes
  }),
  fc.uint8Array({ maxLength: 300 }),
  // A long zero run (a preallocated or zero-extended tail) after a bad frame, maybe with frames after it.
  fc
    .tuple(arbLog(3), fc.integer({ min: 0, max: 9000 }), arbLog(2), fc.boolean())
    .map(([a, zeros, b, damage]) => {
      const bytes = new Uint8Array(a.bytes.length + zeros + b.bytes.length)
      bytes.set(a.bytes, 0)
      bytes.set(b.bytes, a.bytes.length + zeros)
      if (damage && a.bytes.length > 0) bytes[a.bytes.length - 1]! ^= 0x10
      return bytes
    }),
)

/** A few frame-size limits, including tiny ones that turn real frames into "too long" ones. */
export const arbMaxFrameBytes: fc.Arbitrary<number | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 64 }),
  fc.integer({ min: 0, max: 300 }),
)
