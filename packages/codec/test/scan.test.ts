import { describe, expect, it } from 'vitest'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { encodeFrames, InvalidArgumentError, scanFrames } from '@quire/codec'
import { arbLog, arbMaxFrameBytes, arbScanInput, plain, referenceScan, type Log } from './helpers.js'

const enc = (text: string): Uint8Array => new TextEncoder().encode(text)
const frames3 = (): Uint8Array => encodeFrames([enc('alpha'), enc('beta'), enc('gamma')])

describe('scanFrames: examples', () => {
  it('reads an empty input as clean', () => {
    expect(scanFrames(new Uint8Array(0))).toEqual({ frames: [], end: 0, status: 'clean' })
  })

  it('returns payloads as views of the input, not copies', () => {
    const bytes = frames3()
    const first = scanFrames(bytes).frames[0]!
    expect(first.payload.buffer).toBe(bytes.buffer)
    expect(first.payload.byteOffset).toBe(4)
  })

  it('calls a half-written last frame torn, with end at its start', () => {
    const bytes = frames3()
    const result = scanFrames(bytes.subarray(0, bytes.length - 3))
    expect(result.status).toBe('torn')
    expect(result.frames.length).toBe(2)
    expect(result.end).toBe(25)
  })

  it('calls a zero-filled tail (an append that left zeros) torn', () => {
    const bytes = new Uint8Array(frames3().length + 4096)
    bytes.set(frames3())
    const result = scanFrames(bytes)
    expect(result).toMatchObject({ status: 'torn', end: frames3().length })
    expect(result.frames.length).toBe(3)
  })

  it('calls a bad frame followed by a good one corrupt, with corruptAt, and stops there', () => {
    const bytes = frames3()
    bytes[8 + 5 + 6]! ^= 0x01 // inside "beta"
    const result = scanFrames(bytes)
    expect(result.status).toBe('corrupt')
    expect(result.corruptAt).toBe(13)
    expect(result.end).toBe(13)
    expect(result.frames.map((f) => new TextDecoder().decode(f.payload))).toEqual(['alpha'])
  })

  it('calls a damaged last frame torn (nothing valid follows it)', () => {
    const bytes = frames3()
    bytes[bytes.length - 1]! ^= 0x80
    expect(scanFrames(bytes)).toMatchObject({ status: 'torn', end: 25 })
  })

  it('skips long zero runs, and still finds a good frame right after one (block edges too)', () => {
    const head = encodeFrames([enc('alpha')])
    const tail = encodeFrames([enc('omega')])
    for (const zeros of [4088, 4095, 4096, 4097, 4103, 4104, 8192 + 5, 12288 + 7, 20000]) {
      const torn = new Uint8Array(head.length + zeros)
      torn.set(head)
      expect(scanFrames(torn)).toMatchObject({ status: 'torn', end: head.length })
      const corrupt = new Uint8Array(head.length + zeros + tail.length)
      corrupt.set(head)
      corrupt.set(tail, head.length + zeros)
      expect(scanFrames(corrupt)).toMatchObject({ status: 'corrupt', corruptAt: head.length })
      // An empty frame right after the zeros: its own four zero bytes join the run.
      const empty = new Uint8Array(head.length + zeros + 8)
      empty.set(head)
      empty.set(encodeFrames([new Uint8Array(0)]), head.length + zeros)
      expect(scanFrames(empty)).toMatchObject({ status: 'corrupt', corruptAt: head.length })
    }
  })

  it('treats a length above maxFrameBytes as a bad frame, not as a wait for more bytes', () => {
    const huge = new Uint8Array([0xff, 0xff, 0xff, 0x7f, 1, 2, 3])
    expect(scanFrames(huge)).toMatchObject({ status: 'torn', end: 0, frames: [] })
    const bytes = encodeFrames([new Uint8Array(10), new Uint8Array(100)])
    expect(scanFrames(bytes, { maxFrameBytes: 50 })).toMatchObject({ status: 'torn', end: 18 })
    const reversed = encodeFrames([new Uint8Array(100), new Uint8Array(10)])
    expect(scanFrames(reversed, { maxFrameBytes: 50 })).toMatchObject({ status: 'corrupt', end: 0, corruptAt: 0 })
  })

  it('finds corruption when a damaged length makes the frame reach past the end', () => {
    // frame 0's length grows from 5 to 5 + 2^16: it now "ends" beyond the data, yet good frames follow.
    const bytes = frames3()
    bytes[2] = 1
    expect(scanFrames(bytes)).toMatchObject({ status: 'corrupt', corruptAt: 0, frames: [] })
  })

  it('starts at offset, with offsets still counted from the start of bytes', () => {
    const bytes = frames3()
    const result = scanFrames(bytes, { offset: 13 })
    expect(result.frames.map((f) => f.offset)).toEqual([13, 25])
    expect(result).toMatchObject({ end: bytes.length, status: 'clean' })
    expect(scanFrames(bytes, { offset: bytes.length })).toEqual({ frames: [], end: bytes.length, status: 'clean' })
  })

  it('rejects bad arguments with INVALID_ARGUMENT (and only bad arguments throw)', () => {
    expect(() => scanFrames([1, 2] as unknown as Uint8Array)).toThrow(InvalidArgumentError)
    expect(() => scanFrames(new Uint8Array(4), { offset: 5 })).toThrow(InvalidArgumentError)
    expect(() => scanFrames(new Uint8Array(4), { offset: -1 })).toThrow(InvalidArgumentError)
    expect(() => scanFrames(new Uint8Array(4), { maxFrameBytes: NaN })).toThrow(InvalidArgumentError)
  })

  it('reads frames from a Buffer that sits at an offset in a shared pool', () => {
    const bytes = Buffer.from(encodeFrames([enc('x'), enc('yz')]))
    const [x, yz] = scanFrames(bytes).frames
    expect(new TextDecoder().decode(x!.payload)).toBe('x')
    expect(new TextDecoder().decode(yz!.payload)).toBe('yz')
    expect(yz!.payload.buffer).toBe(bytes.buffer)
    expect(yz!.payload.byteOffset).toBe(bytes.byteOffset + 9 + 4)
  })
})

describe('scanFrames: properties', () => {
  it('for ANY truncation point returns exactly the frames wholly before it; clean at a boundary, else torn', async () => {
    await checkProperty(
      fc.property(arbLog(), fc.nat(), (log, n) => {
        const cut = n % (log.bytes.length + 1)
        const result = scanFrames(log.bytes.subarray(0, cut))
        const whole = log.ends.filter((end) => end <= cut).length
        expect(result.frames.length).toBe(whole)
        result.frames.forEach((frame, i) => {
          expect(frame.offset).toBe(log.starts[i])
          expect([...frame.payload]).toEqual([...log.payloads[i]!])
        })
        const end = whole === 0 ? 0 : log.ends[whole - 1]!
        expect(result.end).toBe(end)
        expect(result.status).toBe(cut === end ? 'clean' : 'torn')
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  // What a flip or overwrite may do: stop the scan at the first damaged frame, never return
  // a payload that was not written there. Frames before the damage all come back; the status
  // says whether an intact frame follows the damage.
  const checkDamaged = (log: Log, damaged: Uint8Array): void => {
    const result = scanFrames(damaged)
    for (const frame of result.frames) {
      const i = log.starts.indexOf(frame.offset)
      expect(i).toBeGreaterThanOrEqual(0)
      expect([...frame.payload]).toEqual([...log.payloads[i]!])
    }
    const changed = (i: number): boolean => {
      for (let b = log.starts[i]!; b < log.ends[i]!; b++) if (damaged[b] !== log.bytes[b]) return true
      return false
    }
    const firstDamaged = log.payloads.findIndex((_, i) => changed(i))
    if (firstDamaged === -1) {
      expect(result.status).toBe('clean')
      expect(result.frames.length).toBe(log.payloads.length)
      return
    }
    expect(result.frames.length).toBe(firstDamaged)
    expect(result.end).toBe(log.starts[firstDamaged])
    const intactLater = log.payloads.some((_, i) => i > firstDamaged && !changed(i))
    expect(result.status).toBe(intactLater ? 'corrupt' : 'torn')
    if (intactLater) expect(result.corruptAt).toBe(log.starts[firstDamaged])
  }

  it('for any single bit flip never returns a payload that was not written, and tells torn from corrupt', async () => {
    await checkProperty(
      fc.property(
        arbLog().filter((log) => log.bytes.length > 0),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (log, at, bit) => {
          const damaged = log.bytes.slice()
          damaged[at % damaged.length]! ^= 1 << bit
          checkDamaged(log, damaged)
        },
      ),
      { numRuns: propertyRuns(300) },
    )
  })

  it('for any overwritten byte range never returns a payload that was not written', async () => {
    await checkProperty(
      fc.property(
        arbLog().filter((log) => log.bytes.length > 0),
        fc.nat(),
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          fc.nat({ max: 600 }).map((n) => new Uint8Array(n + 1)), // zeros, like a lost sector
          fc.nat({ max: 600 }).map((n) => new Uint8Array(n + 1).fill(0xff)),
        ),
        (log, at, junk) => {
          const damaged = log.bytes.slice()
          const start = at % damaged.length
          damaged.set(junk.subarray(0, damaged.length - start), start)
          checkDamaged(log, damaged)
        },
      ),
      { numRuns: propertyRuns(300) },
    )
  })

  it('random garbage never throws, and every frame it returns has a good CRC', async () => {
    await checkProperty(
      fc.property(fc.uint8Array({ maxLength: 2000 }), arbMaxFrameBytes, (bytes, maxFrameBytes) => {
        const result = scanFrames(bytes, maxFrameBytes === undefined ? {} : { maxFrameBytes })
        expect(plain(result)).toEqual(referenceScan(bytes, maxFrameBytes ?? 16 * 1024 * 1024))
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('agrees with the plain reference implementation of the documented rule on any input', async () => {
    await checkProperty(
      fc.property(arbScanInput, arbMaxFrameBytes, fc.nat(), (bytes, maxFrameBytes, from) => {
        const offset = from % (bytes.length + 1)
        const options = maxFrameBytes === undefined ? { offset } : { offset, maxFrameBytes }
        const expected = referenceScan(bytes, maxFrameBytes ?? 16 * 1024 * 1024, offset)
        expect(plain(scanFrames(bytes, options))).toEqual(expected)
      }),
      { numRuns: propertyRuns(400) },
    )
  })
})
