import { chunkCrc32, crc32, crc32Range } from '@quire/codec'
import { checkProperty, fc } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { encodedBoundBytes, encodeTransactions, parseLine } from '../src/format.js'
import { readLines } from '../src/line-scanner.js'

/** Bytes and a range in them (lengths on both sides of the 8-byte step and of the switch to zlib). */
const arbRange = fc
  .uint8Array({ maxLength: 1200 })
  .chain((bytes) => fc.tuple(fc.constant(bytes), fc.nat(bytes.length), fc.nat(bytes.length)))
  .map(([bytes, a, b]) => ({ bytes: Buffer.from(bytes), start: Math.min(a, b), end: Math.max(a, b) }))

describe('line checksums: the CRC-32 of @quire/codec, by every path', () => {
  it('crc32Range and a chunk checksummer agree with crc32 on any range', async () => {
    await checkProperty(
      fc.property(arbRange, ({ bytes, start, end }) => {
        const expected = crc32(bytes.subarray(start, end))
        expect(crc32Range(bytes, start, end)).toBe(expected)
        expect(chunkCrc32(bytes, bytes.length)(start, end)).toBe(expected)
      }),
      { numRuns: 300 },
    )
  })

  it('a chunk checksummer stays right once another chunk took its place', async () => {
    await checkProperty(
      fc.property(arbRange, arbRange, (a, b) => {
        const first = chunkCrc32(a.bytes, a.bytes.length)
        const second = chunkCrc32(b.bytes, b.bytes.length)
        expect(first(a.start, a.end)).toBe(crc32(a.bytes.subarray(a.start, a.end)))
        expect(second(b.start, b.end)).toBe(crc32(b.bytes.subarray(b.start, b.end)))
      }),
      { numRuns: 100 },
    )
  })
})

describe('line text: what Buffer#toString("utf8") gives, from windows of ASCII or line by line', () => {
  it('every line of a file, ASCII or not, long or short, decodes as UTF-8 does', async () => {
    const arbLine = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ minLength: 60_000, maxLength: 80_000 }),
      // Bytes that are no valid UTF-8 (replaced by U+FFFD, as toString does).
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b.map((x) => (x === 0x0a ? 0x80 : x))).toString('latin1')),
    )
    await checkProperty(
      fc.asyncProperty(fc.array(arbLine, { minLength: 1, maxLength: 12 }), fc.boolean(), async (texts, latin1) => {
        // No newline or carriage return inside a line (Latin-1 keeps only each character's low byte).
        const lines = texts.map((t) => Buffer.from(Buffer.from(t, latin1 ? 'latin1' : 'utf8').map((b) => (b === 0x0a || b === 0x0d ? 0x20 : b))))
        const sim = new SimFileSystem()
        const file = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]))
        const writer = await sim.open('/f', 'w')
        await writer.write(file, 0)
        await writer.close()
        const handle = await sim.open('/f', 'r')
        const got: string[] = []
        const scan = readLines(handle, 0, file.length, 1)
        for (let step = await scan.next(); step.done !== true; step = await scan.next()) {
          const chunk = step.value
          for (let i = 0; i < chunk.count; i++) got.push(chunk.text(chunk.starts[i]!, chunk.ends[i]!))
        }
        await handle.close()
        expect(got).toEqual(lines.map((l) => l.toString('utf8')))
      }),
      { numRuns: 40 },
    )
  })
})

describe('line layout: a line whose checksum matches is still refused unless laid out as FORMAT.md says', () => {
  /** A record line (newline excluded) and where its parts lie. */
  function recordLine(): { line: Buffer; recAt: number; crcAt: number } {
    const out = Buffer.alloc(encodedBoundBytes(64, 1))
    const end = encodeTransactions(out, 0, 42, [{ records: ['{"a":1}'] }]) - 1
    const line = Buffer.from(out.subarray(0, end))
    return { line, recAt: line.indexOf(',"rec":'), crcAt: end - 18 }
  }

  /** Rewrites the checksum of `line` so that it matches its bytes again. */
  function reseal(line: Buffer): Buffer {
    const crcAt = line.length - 18
    line.write(crc32(line.subarray(0, crcAt)).toString(16).padStart(8, '0'), crcAt + 8, 'latin1')
    return line
  }

  it('the line as written is a record', () => {
    const { line } = recordLine()
    expect(parseLine(line, 0, line.length)).toMatchObject({ kind: 'record', seq: 42 })
  })

  it('any other byte in `{"seq":`, `,"rec":` or `,"crc":"` makes it bad, checksum or not', async () => {
    const { line, recAt, crcAt } = recordLine()
    const positions = [0, 1, 2, 3, 4, 5, 6, ...[0, 1, 2, 3, 4, 5, 6].map((i) => recAt + i), ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => crcAt + i)]
    await checkProperty(
      fc.property(fc.constantFrom(...positions), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        fc.pre(byte !== line[at])
        const changed = Buffer.from(line)
        changed[at] = byte
        const parsed = parseLine(at < crcAt ? reseal(changed) : changed, 0, changed.length)
        expect(parsed.kind).toBe('bad')
      }),
      { numRuns: 300 },
    )
  })
})
