import { describe, expect, it } from 'vitest'
import { msgpackCodec } from '@quire/codec'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import type { StoredEvent } from '@quire/event-store'
import { MsgpackWriter } from '../src/backends/msgpack-writer.js'
import { decodeWalEntry, encodeWalCommit, WAL_VALUE_VERSION } from '../src/backends/wal-format.js'

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
    const kept = Array.from({ length: 400 }, (_, i) => ({ i, ops: encodeWalCommit([event(i)]) }))
    for (const { i, ops } of kept) {
      const op = ops[0]!
      if (op.op !== 'put') throw new Error('a put')
      expect(Buffer.from(op.key).toString()).toBe(`s-${i}`)
      expect(decodeWalEntry(1, op.key, op.value).event).toEqual(event(i))
    }
  })
})
