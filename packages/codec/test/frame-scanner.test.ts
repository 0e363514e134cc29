import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { encodeFrame, encodeFrames, FrameScanner, InvalidArgumentError, scanFrames, type ScannedFrame } from '@quire/codec'
import { arbMaxFrameBytes, arbScanInput, plain } from './helpers.js'

/** Splits bytes at the given cut points (any numbers; mapped into range, sorted, repeats allowed). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point))
    from = point
  }
  return chunks
}

/** Runs a FrameScanner over chunks, each pushed as a fresh copy that is wiped right after push. */
function scanInChunks(
  chunks: readonly Uint8Array[],
  options: { maxFrameBytes?: number; offset?: number } = {},
): { frames: ScannedFrame[]; end: number; status: string; corruptAt?: number } {
  const scanner = new FrameScanner(options)
  const frames: { offset: number; payload: Uint8Array }[] = []
  for (const chunk of chunks) {
    // Each chunk is a view at an offset into a bigger buffer, as reads into a pool give.
    const memory = new Uint8Array(chunk.length + 3)
    memory.set(chunk, 3)
    // Copy what we keep, then reuse the chunk memory: the scanner must not rely on it later.
    for (const frame of scanner.push(memory.subarray(3))) {
      frames.push({ offset: frame.offset, payload: frame.payload.slice() })
    }
    memory.fill(0xa5)
  }
  return { frames, ...scanner.finish() }
}

describe('FrameScanner', () => {
  it('gives the same frames, end, status and corruptAt as scanFrames for ANY chunking', async () => {
    await checkProperty(
      fc.property(arbScanInput, fc.array(fc.nat(), { maxLength: 12 }), arbMaxFrameBytes, (bytes, cuts, maxFrameBytes) => {
        const options = maxFrameBytes === undefined ? {} : { maxFrameBytes }
        const whole = scanFrames(bytes, options)
        expect(plain(scanInChunks(split(bytes, cuts), options))).toEqual(plain(whole))
      }),
      { numRuns: propertyRuns(500) },
    )
  })

  it('pushTo hands a sink the frames of scanFrames in order, and stops where the sink says', async () => {
    await checkProperty(
      fc.property(arbScanInput, fc.array(fc.nat(), { maxLength: 12 }), fc.nat({ max: 20 }), (bytes, cuts, stopAfter) => {
        const whole = scanFrames(bytes).frames.map((f) => ({ offset: f.offset, payload: [...f.payload] }))
        const scanner = new FrameScanner()
        const seen: { offset: number; payload: number[] }[] = []
        const sink = {
          frameAt: (offset: number, data: Uint8Array, start: number, length: number): boolean => {
            seen.push({ offset, payload: [...data.subarray(start, start + length)] })
            return seen.length < stopAfter
          },
        }
        let stopped = false
        for (const chunk of split(bytes, cuts)) {
          if (!scanner.pushTo(chunk.slice(), sink)) {
            stopped = true
            break
          }
        }
        if (stopped) {
          expect(seen).toEqual(whole.slice(0, Math.max(stopAfter, 1)))
          expect(() => scanner.push(new Uint8Array(1))).toThrow(InvalidArgumentError)
          expect(() => scanner.finish()).toThrow(InvalidArgumentError)
        } else {
          expect(seen).toEqual(whole)
          expect(whole.length).toBeLessThan(Math.max(stopAfter, 1))
        }
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('started at an offset, agrees with scanFrames from that offset', async () => {
    await checkProperty(
      fc.property(arbScanInput, fc.nat(), fc.array(fc.nat(), { maxLength: 6 }), (bytes, from, cuts) => {
        const offset = from % (bytes.length + 1)
        const rest = bytes.subarray(offset)
        expect(plain(scanInChunks(split(rest, cuts), { offset }))).toEqual(plain(scanFrames(bytes, { offset })))
      }),
      { numRuns: propertyRuns(200) },
    )
  })

  it('agrees with scanFrames byte by byte (every chunk one byte)', async () => {
    await checkProperty(
      fc.property(arbScanInput, arbMaxFrameBytes, (bytes, maxFrameBytes) => {
        const options = maxFrameBytes === undefined ? {} : { maxFrameBytes }
        const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))
        expect(plain(scanInChunks(chunks, options))).toEqual(plain(scanFrames(bytes, options)))
      }),
      { numRuns: propertyRuns(150) },
    )
  })

  it('finds a good frame far past the bad one, across many chunks (corrupt)', () => {
    const good = encodeFrames([new Uint8Array(10), new Uint8Array(5000).fill(7)])
    const bytes = new Uint8Array(100_000 + good.length)
    bytes.set(encodeFrame(new Uint8Array(3)), 0)
    bytes[9] = 1 // a bad frame at 11... and junk up to the good frames at the end
    bytes.fill(0xee, 11, 100_000)
    bytes.set(good, 100_000)
    const chunks = split(bytes, Array.from({ length: 60 }, (_, i) => i * 1777))
    const result = scanInChunks(chunks)
    expect(plain(result)).toEqual(plain(scanFrames(bytes)))
    expect(result).toMatchObject({ status: 'corrupt', corruptAt: 0, end: 0 })
  })

  it('regression: a bad frame completed from two chunks, with good frames inside it and after it', () => {
    const head = encodeFrames([new Uint8Array(4), new Uint8Array(7)]) // 27 bytes
    const inside = encodeFrames([new Uint8Array(100), new Uint8Array(150), new Uint8Array(30)]) // 304 bytes
    const bytes = new Uint8Array(27 + 4 + inside.length + 14)
    bytes.set(head, 0)
    new DataView(bytes.buffer).setUint32(27, inside.length - 4, true) // a header claiming exactly the span; its CRC is wrong
    bytes.set(inside, 31)
    bytes.set(encodeFrame(new Uint8Array(6)), 31 + inside.length)
    expect(scanFrames(bytes)).toMatchObject({ status: 'corrupt', corruptAt: 27, end: 27 })
    for (const cut of [28, 27, 29, 30, 31, 200]) {
      const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)]
      expect(plain(scanInChunks(chunks))).toEqual(plain(scanFrames(bytes)))
    }
  })

  it('offsets count from the offset option', () => {
    const scanner = new FrameScanner({ offset: 1000 })
    const frames = scanner.push(encodeFrames([new Uint8Array(1), new Uint8Array(2)]))
    expect(frames.map((f) => f.offset)).toEqual([1000, 1009])
    expect(scanner.finish()).toEqual({ end: 1019, status: 'clean' })
  })

  it('says torn at once for a length above maxFrameBytes, without waiting for the bytes', () => {
    const scanner = new FrameScanner({ maxFrameBytes: 1024 })
    expect(scanner.push(new Uint8Array([0, 0, 1, 0]))).toEqual([]) // declares 65536 bytes
    expect(scanner.finish()).toEqual({ end: 0, status: 'torn' })
  })

  it('keeps a frame split across chunks intact after the caller reuses the chunk memory', () => {
    const frame = encodeFrame(new TextEncoder().encode('hello, world'))
    const scanner = new FrameScanner()
    const buffer = new Uint8Array(7)
    buffer.set(frame.subarray(0, 7))
    expect(scanner.push(buffer)).toEqual([])
    buffer.fill(0)
    buffer.set(frame.subarray(7, 14))
    expect(scanner.push(buffer)).toEqual([])
    buffer.fill(0)
    const [got] = scanner.push(frame.subarray(14))
    expect(new TextDecoder().decode(got!.payload)).toBe('hello, world')
  })

  it('finish is idempotent; push after finish and non-bytes are INVALID_ARGUMENT', () => {
    const scanner = new FrameScanner()
    scanner.push(new Uint8Array([1, 2]))
    const end = scanner.finish()
    expect(scanner.finish()).toBe(end)
    expect(() => scanner.push(new Uint8Array(1))).toThrow(InvalidArgumentError)
    expect(() => new FrameScanner().push('x' as unknown as Uint8Array)).toThrow(InvalidArgumentError)
    expect(() => new FrameScanner({ offset: -1 })).toThrow(InvalidArgumentError)
    expect(() => new FrameScanner({ maxFrameBytes: -1 })).toThrow(InvalidArgumentError)
  })
})
