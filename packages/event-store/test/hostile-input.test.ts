import { arbHostile, checkProperty, fc, flipping, maybeHostile, refusedOrDone as hostileCall } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventStore, walBackend } from '../src/index.js'

const DIR = '/es'
const CODES = ['INVALID_ARGUMENT', 'MAX_APPEND_SIZE_EXCEEDED', 'WRONG_EXPECTED_VERSION', 'STREAM_NOT_FOUND', 'STREAM_DELETED', 'DUPLICATE_EVENT_ID']
const arbName = fc.oneof(fc.constantFrom('s-1', 's-2'), arbHostile(), fc.constantFrom('a\uD800', '$system', '$$s-1', '__proto__', 'x'.repeat(201)))
const arbEvent = fc.oneof(arbHostile(), fc.record({ type: maybeHostile(fc.constantFrom('T', 'U')), data: fc.oneof(fc.jsonValue({ maxDepth: 2 }), arbHostile()), id: fc.option(maybeHostile(fc.uuid()), { nil: undefined }), metadata: fc.option(fc.oneof(fc.jsonValue({ maxDepth: 1 }), arbHostile()), { nil: undefined }) }, { requiredKeys: ['type', 'data'] }))
const arbRevision = maybeHostile(fc.oneof(fc.constantFrom('any', 'no_stream', 'stream_exists'), fc.nat(3)))

describe('hostile input: a typed error before anything is written, and the store still works', () => {
  const sim = new SimFileSystem()
  let store: EventStore
  beforeAll(async () => {
    store = await EventStore.open({ backend: walBackend(DIR, { fs: sim }) })
    await store.appendToStream('s-1', { type: 'T', data: { n: 0 } })
  })
  afterAll(async () => {
    await store.close()
  })

  const refusedOrDone = (call: () => Promise<unknown>): Promise<'refused' | 'done'> =>
    hostileCall({ fs: sim, dir: DIR, codes: CODES, memory: () => store.lastPosition, stillWorks: async () => {
      await store.appendToStream('valid', { type: 'T', data: {} })
    } }, call)

  it('appendToStream(name, events, { expectedRevision }): refused, or read back as JSON keeps it', async () => {
    await checkProperty(
      fc.asyncProperty(arbName, fc.oneof(arbEvent, fc.array(arbEvent, { maxLength: 3 })), arbRevision, async (name, events, expectedRevision) => {
        const once = stableJson(events)
        const stable = once !== undefined && once === stableJson(events)
        let position: bigint | undefined
        const outcome = await refusedOrDone(async () => {
          position = (await store.appendToStream(name as string, events as never, { expectedRevision: expectedRevision as never })).position
          expect(position).toBe(store.lastPosition)
        })
        if (outcome === 'done' && stable) {
          const list = (Array.isArray(events) ? events : [events]) as { data: unknown }[]
          const read: unknown[] = []
          for await (const e of store.readStream(name as string, { fromRevision: 'end', direction: 'backwards', maxCount: list.length })) read.unshift(e.data)
          expect(read).toEqual(list.map((e) => JSON.parse(JSON.stringify(e.data)) as unknown))
        }
      }),
      { numRuns: 150 },
    )
  })

  it('multiStreamAppend, readStream, readAll, getStreamState, setStreamMetadata and deleteStream with hostile arguments', async () => {
    await checkProperty(
      fc.asyncProperty(arbName, arbHostile(), arbRevision, async (name, hostile, expectedRevision) => {
        await refusedOrDone(() => store.multiStreamAppend(hostile as never))
        await refusedOrDone(() => store.multiStreamAppend([{ streamName: name as string, events: [{ type: 'T', data: hostile }], expectedRevision: expectedRevision as never }]))
        await refusedOrDone(async () => {
          for await (const _ of store.readStream(name as string, { maxCount: hostile as number })) break
        })
        await refusedOrDone(async () => {
          for await (const _ of store.readAll({ fromPosition: hostile as bigint, maxCount: 1 })) break
        })
        await refusedOrDone(() => store.getStreamState(name as string))
        await refusedOrDone(() => store.setStreamMetadata(name as string, hostile as never))
        await refusedOrDone(() => store.setStreamMetadata(name as string, { maxCount: hostile as number }))
        await refusedOrDone(() => store.deleteStream(name as string, { expectedRevision: expectedRevision as never }))
      }),
      { numRuns: 80 },
    )
  })

  it('a getter that changes its answer, and arrays changed after the call: the store holds what was checked and passed', async () => {
    await refusedOrDone(async () => {
      await store.appendToStream('flip', flipping({ type: 'T' }, 'data', { n: 1 }, 10n) as never)
      const read: unknown[] = []
      for await (const e of store.readStream('flip')) read.push(e.data)
      expect(read).toEqual([{ n: 1 }])
    })
    const data = { items: [1, 2] }
    const events = [{ type: 'T', data }]
    const appended = store.appendToStream('mutated', events)
    data.items.push(3)
    events.push({ type: 'U', data: { items: [] } })
    await appended
    const read: unknown[] = []
    for await (const e of store.readStream('mutated')) read.push(e.data)
    expect(read).toEqual([{ items: [1, 2] }])
  })
})

/** `JSON.stringify(value)`, or undefined when that throws. */
function stableJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}
