import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkProperty, fc } from '@quire/test-kit'
import {
  EventStore,
  MAX_EVENT_TYPE_BYTES,
  MAX_METADATA_BYTES,
  MAX_STREAM_METADATA_BYTES,
  MAX_STREAM_NAME_BYTES,
  memoryBackend,
  type RecordedEvent,
} from '@quire/event-store'

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action()
  } catch (err) {
    return String((err as { code?: unknown }).code)
  }
  return 'ok'
}

const open = (): Promise<EventStore> => EventStore.open({ backend: memoryBackend() })

describe('names and sizes', () => {
  it('takes stream names up to MAX_STREAM_NAME_BYTES of UTF-8 and refuses one byte more', async () => {
    await using store = await open()
    const atLimit = 'é'.repeat(MAX_STREAM_NAME_BYTES / 2)
    await store.appendToStream(atLimit, { type: 'T', data: 1 })
    expect((await collect(store.readStream(atLimit)))[0]!.streamName).toBe(atLimit)
    expect(await codeOf(() => store.appendToStream(`${atLimit}x`, { type: 'T', data: 1 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => store.getStreamState(`${atLimit}x`))).toBe('INVALID_ARGUMENT')
  })

  it('bounds event types and metadata', async () => {
    await using store = await open()
    expect(await codeOf(() => store.appendToStream('s', { type: 't'.repeat(MAX_EVENT_TYPE_BYTES + 1), data: 1 }))).toBe('INVALID_ARGUMENT')
    await store.appendToStream('s', { type: 't'.repeat(MAX_EVENT_TYPE_BYTES), data: 1 })
    expect(await codeOf(() => store.appendToStream('s', { type: 'T', data: 1, metadata: 'm'.repeat(MAX_METADATA_BYTES) }))).toBe('MAX_APPEND_SIZE_EXCEEDED')
    expect(await codeOf(() => store.setStreamMetadata('s', { custom: 'c'.repeat(MAX_STREAM_METADATA_BYTES) }))).toBe('MAX_APPEND_SIZE_EXCEEDED')
    expect(await codeOf(() => store.setStreamMetadata('s', { maxCount: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => store.setStreamMetadata('s', { maxAge: 1.5 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => store.setStreamMetadata('s', { truncateBefore: -1 }))).toBe('INVALID_ARGUMENT')
  })

  it('refuses an object that JSON would decode as a Date, and unknown options everywhere', async () => {
    await using store = await open()
    expect(await codeOf(() => store.appendToStream('s', { type: 'T', data: { $date: '2020-01-01T00:00:00.000Z' } }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => collect(store.readStream('s', { fromRevison: 1 } as never)))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => collect(store.readAll({ filter: { streamPrefix: ['a'] } } as never)))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => collect(store.readAll({ filter: { streamNamePrefix: [] } })))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => store.deleteStream('s', { expected: 1 } as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => EventStore.open({ backend: memoryBackend(), clock: Date.now } as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => EventStore.open({} as never))).toBe('INVALID_ARGUMENT')
  })

  it('lets system streams be read, never written', async () => {
    await using store = await open()
    await store.appendToStream('s', { type: 'T', data: 1 })
    await store.setStreamMetadata('s', { maxCount: 5 })
    const meta = await collect(store.readStream('$$s'))
    expect(meta.map((e) => [e.type, e.data])).toEqual([['$metadata', { maxCount: 5 }]])
    expect(await codeOf(() => store.appendToStream('$$s', { type: 'T', data: 1 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => store.setStreamMetadata('$$s', {}))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => store.deleteStream('$x'))).toBe('INVALID_ARGUMENT')
  })
})

describe('values round-trip', () => {
  const arbValue = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
      fc.string(),
      fc.date({ noInvalidDate: true }),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.string().filter((k) => k !== '__proto__' && k !== '$date'), tie('value'), { maxKeys: 4 }),
    ),
  })).value

  it('data and metadata read back deep-equal (Dates as Dates); what the codec refuses is INVALID_ARGUMENT', async () => {
    await using store = await open()
    await checkProperty(
      fc.asyncProperty(arbValue, arbValue, async (data, metadata) => {
        const stream = `v-${randomUUID()}`
        let appended = true
        try {
          await store.appendToStream(stream, { type: 'V', data, metadata })
        } catch (err) {
          // Only lone surrogates (which a msgpack backend cannot carry) may be refused.
          expect((err as { code?: string }).code).toBe('INVALID_ARGUMENT')
          appended = false
        }
        if (!appended) {
          const text = JSON.stringify([data, metadata])
          expect(text.includes('\\ud') || text.includes('\\uD')).toBe(true)
          return
        }
        const [event] = (await collect(store.readStream(stream))) as [RecordedEvent]
        expect(event.data).toEqual(data)
        expect(event.metadata).toEqual(metadata)
      }),
      { numRuns: 200 },
    )
  })

  it('any string is either a stream name that reads back exactly, or INVALID_ARGUMENT', async () => {
    await using store = await open()
    await checkProperty(
      fc.asyncProperty(fc.string({ unit: 'grapheme-composite', maxLength: 120 }), async (name) => {
        const code = await codeOf(() => store.appendToStream(name, { type: 'T', data: 1 }))
        if (code === 'ok') {
          const events = await collect(store.readStream(name))
          expect(events.at(-1)!.streamName).toBe(name)
        } else {
          expect(code).toBe('INVALID_ARGUMENT')
          expect(name === '' || name.startsWith('$') || Buffer.byteLength(name) > MAX_STREAM_NAME_BYTES).toBe(true)
        }
      }),
      { numRuns: 200 },
    )
  })
})
