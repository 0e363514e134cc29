import { describe, expect, it } from 'vitest'
import { msgpackCodec } from '@quire/codec'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import type { StoredEvent } from '@quire/event-store'
import { MsgpackWriter } from '../src/backends/msgpack-writer.js'
import { wordsToUuid } from '../src/event-id.js'
import { EncodedValue } from '../src/local/encoded-value.js'
import { ValueArena } from '../src/local/value-arena.js'
import { FALLBACK, MsgpackReader } from '../src/msgpack-reader.js'
import { decodeWalEntry, decodeWithCodec, encodeWalCommit, WAL_VALUE_VERSION, WalEntryDecoder } from '../src/backends/wal-format.js'

/*
 * The WAL backend's encoding against the reference it must match byte for byte (FORMAT.md, "WAL
 * backend"): key = the stream name in UTF-8, value = `msgpackCodec.encode` of the event array.
 */

/** An array with a hole (index 1). */
const holey = (): unknown[] => {
  const a: unknown[] = [1]
  a[2] = 3
  return a
}

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', 'é'.repeat(100), '😀'.repeat(70), 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(255), 'x'.repeat(256), 'é'.repeat(300), 'x'.repeat(70_000)),
)

const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.constantFrom(-0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 0.5),
    text,
    fc.date(),
    fc.constantFrom(new Date(0), new Date(1), new Date(-1), new Date(2 ** 32 * 1000), new Date(2 ** 34 * 1000), new Date(2 ** 34 * 1000 + 1), new Date(-8.64e15), new Date(8.64e15)),
    fc.constantFrom<unknown>(undefined, 1n, new Uint8Array(3), Object.create(null), JSON.parse('{"__proto__": 1}'), holey(), () => 1),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.constant(1), { minLength: 15, maxLength: 17 }),
    fc.dictionary(text, tie('value'), { maxKeys: 5 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.constant(1), { minKeys: 15, maxKeys: 17 }),
  ),
})).value

function codecBytes(v: unknown): Uint8Array | 'refused' {
  try {
    return msgpackCodec.encode(v)
  } catch {
    return 'refused'
  }
}

describe('MsgpackWriter', () => {
  it('writes the bytes msgpackCodec writes, or gives up on a value the codec may refuse', async () => {
    const writer = new MsgpackWriter()
    await checkProperty(
      fc.property(value, (v) => {
        writer.reset()
        const taken = writer.value(v, 0)
        const reference = codecBytes(v)
        if (!taken) return
        expect(reference).not.toBe('refused')
        expect(Buffer.from(writer.bytes.subarray(0, writer.pos)).toString('hex')).toBe(Buffer.from(reference as Uint8Array).toString('hex'))
      }),
      { numRuns: propertyRuns(1000) },
    )
  })
})

const uuid = fc.uuid().map((u) => u.toLowerCase())
const storedEvent = (streamName: fc.Arbitrary<string>): fc.Arbitrary<StoredEvent> =>
  fc.record({
    id: uuid,
    streamName,
    revision: fc.nat(),
    type: fc.string({ minLength: 1, maxLength: 20 }),
    data: value.filter((v) => v !== undefined),
    metadata: fc.option(value, { nil: undefined }),
    recordedAtMs: fc.oneof(fc.nat(), fc.constant(1_764_000_000_000)),
  })

describe('encodeWalCommit', () => {
  it('encodes a commit as the reference did, or refuses with INVALID_ARGUMENT what the reference refused', async () => {
    const names = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('a', 'b', 'é-stream'))
    await checkProperty(
      fc.property(fc.array(storedEvent(names), { minLength: 1, maxLength: 6 }), (events) => {
        const items = events.map((e, i) => {
          const item: unknown[] = [WAL_VALUE_VERSION, i + 1, events.length, e.id, e.revision, e.type, e.recordedAtMs, e.data]
          if (e.metadata !== undefined) item.push(e.metadata)
          return codecBytes(item)
        })
        const wellFormed = events.every((e) => (e.streamName as string & { isWellFormed(): boolean }).isWellFormed())
        let ops
        try {
          ops = encodeWalCommit(events)
        } catch (err) {
          expect((err as { code?: string }).code).toBe('INVALID_ARGUMENT')
          expect(items.includes('refused') || !wellFormed).toBe(true)
          return
        }
        expect(items.includes('refused')).toBe(false)
        expect(ops.length).toBe(events.length)
        ops.forEach((op, i) => {
          expect(op.op).toBe('put')
          expect(Buffer.from(op.key).toString('hex')).toBe(Buffer.from(events[i]!.streamName, 'utf8').toString('hex'))
          if (op.op === 'put') expect(Buffer.from(op.value).toString('hex')).toBe(Buffer.from(items[i] as Uint8Array).toString('hex'))
        })
      }),
      { numRuns: propertyRuns(500) },
    )
  })

  it('gives each commit bytes of its own: a later commit does not change an earlier one', () => {
    const event = (i: number): StoredEvent => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      streamName: `s-${i}`,
      revision: 0,
      type: 'T',
      data: { i, pad: 'x'.repeat(i % 3000) },
      metadata: undefined,
      recordedAtMs: 1,
    })
    const kept = Array.from({ length: 400 }, (_, i) => ({ events: [event(i)], ops: encodeWalCommit([event(i)]) }))
    // A commit larger than a slab, begun in a slab already partly used: it moves to a new buffer
    // while being written.
    const big = Array.from({ length: 300 }, (_, i) => event(2000 + i))
    kept.push({ events: big, ops: encodeWalCommit(big) }, { events: [event(7)], ops: encodeWalCommit([event(7)]) })
    for (const { events, ops } of kept) {
      expect(ops.length).toBe(events.length)
      ops.forEach((op, j) => {
        if (op.op !== 'put') throw new Error('a put')
        expect(Buffer.from(op.key).toString()).toBe(events[j]!.streamName)
        expect(decodeWalEntry(1, op.key, op.value).event).toEqual(events[j])
      })
    }
  })
})

describe('decoding', () => {
  const outcome = (f: () => unknown): { readonly ok: unknown } | { readonly error: string } => {
    try {
      return { ok: f() }
    } catch (err) {
      return { error: String((err as { code?: unknown }).code) }
    }
  }

  it('MsgpackReader reads what msgpackCodec reads, or falls back', async () => {
    const reader = new MsgpackReader()
    await checkProperty(
      fc.property(value, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat(), (v, flips, cut) => {
        const encoded = codecBytes(v)
        if (encoded === 'refused') return
        // The bytes as written, and damaged: bytes changed, or cut short.
        for (const bytes of [encoded, damaged(encoded, flips), encoded.subarray(0, cut % (encoded.byteLength + 1))]) {
          reader.reset(bytes)
          const read = reader.value(0)
          const reference = outcome(() => msgpackCodec.decode(bytes))
          if (read === FALLBACK) continue
          if (reader.pos !== reader.end) continue // the caller falls back: extra bytes
          expect(reference).toEqual({ ok: read })
        }
      }),
      { numRuns: propertyRuns(1000) },
    )
  })

  it('MsgpackReader leaves to msgpackCodec what it would refuse or read differently', () => {
    const reader = new MsgpackReader()
    const cases: Record<string, number[]> = {
      'a __proto__ key': [0x81, 0xa9, ...Buffer.from('__proto__'), 0x01],
      'a number key': [0x81, 0x01, 0x02],
      'NaN': [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
      'Infinity': [0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0],
      'float 32': [0xca, 0x3f, 0x80, 0, 0],
      'uint 64': [0xcf, 0, 0, 0, 0, 0, 0, 0, 1],
      'int 64': [0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      'bin 8': [0xc4, 0x01, 0x07],
      'an unknown extension': [0xd4, 0x05, 0x00],
      'a timestamp of 16 bytes': [0xd8, 0xff, ...new Array<number>(16).fill(0)],
      'a timestamp out of the Date range': [0xc7, 12, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      'invalid UTF-8': [0xa2, 0xc3, 0x28],
      'an array longer than its bytes': [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01],
      'a map longer than its bytes': [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa0, 0x01],
      'a string cut short': [0xa5, 0x61],
      'nothing': [],
    }
    for (const [what, list] of Object.entries(cases)) {
      const bytes = Uint8Array.from(list)
      reader.reset(bytes)
      expect(reader.value(0), what).toBe(FALLBACK)
    }
  })

  it('skipValue accepts only what value() reads, and steps over exactly its bytes', async () => {
    const reader = new MsgpackReader()
    await checkProperty(
      fc.property(value, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (v, flips) => {
        const encoded = codecBytes(v)
        if (encoded === 'refused') return
        for (const bytes of [encoded, damaged(encoded, flips)]) {
          reader.reset(bytes)
          if (!reader.skipValue(1)) continue
          const skippedTo = reader.pos
          reader.reset(bytes)
          const read = reader.value(1)
          expect(read).not.toBe(FALLBACK)
          expect(reader.pos).toBe(skippedTo)
        }
      }),
      { numRuns: propertyRuns(1000) },
    )
  })

  it('with encoded data, WalEntryDecoder hands over data that decodes to what the reference path reads, and ids as words', async () => {
    await checkProperty(
      fc.property(storedEvent(fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constant('$$s'))), (event) => {
        let ops
        try {
          ops = encodeWalCommit([event])
        } catch {
          return
        }
        const op = ops[0]!
        if (op.op !== 'put') throw new Error('a put')
        const reference = outcome(() => decodeWithCodec(3, op.key, op.value))
        const decoder = new WalEntryDecoder({ encodedData: true })
        const got = outcome(() => {
          const e = decoder.decode(3, op.key, op.value)
          const data = e.data instanceof EncodedValue ? new ValueArena().decodeRange(e.data.bytes, e.data.start, e.data.end) : e.data
          return { k: decoder.k, n: decoder.n, event: { ...e, id: wordsToUuid(decoder.idWords, 0), data } }
        })
        expect(got).toEqual(reference)
      }),
      { numRuns: propertyRuns(1000) },
    )
  })

  it('WalEntryDecoder decodes every entry as the reference path does, damaged ones included', async () => {
    await checkProperty(
      fc.property(
        storedEvent(fc.string({ minLength: 1, maxLength: 12 })),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (event, flips) => {
          let ops
          try {
            ops = encodeWalCommit([event])
          } catch {
            return
          }
          const op = ops[0]!
          if (op.op !== 'put') throw new Error('a put')
          const decoder = new WalEntryDecoder()
          for (const bytes of [op.value, damaged(op.value, flips)]) {
            const fast = outcome(() => ({ event: decoder.decode(7, op.key, bytes), k: decoder.k, n: decoder.n }))
            const reference = outcome(() => decodeWithCodec(7, op.key, bytes))
            expect(fast).toEqual(reference)
          }
          // Read after a damaged entry: nothing of it stays behind (msgpack writes -0 as 0).
          expect(decoder.decode(8, op.key, op.value)).toEqual(decodeWithCodec(8, op.key, op.value).event)
        },
      ),
      { numRuns: propertyRuns(1000) },
    )
  })
})

/** A copy of `bytes` with bytes changed at the given places. */
function damaged(bytes: Uint8Array, flips: readonly (readonly [number, number])[]): Uint8Array {
  const copy = bytes.slice()
  for (const [at, b] of flips) if (copy.byteLength > 0) copy[at % copy.byteLength] = b
  return copy
}
