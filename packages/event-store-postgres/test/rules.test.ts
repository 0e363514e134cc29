import { randomUUID } from 'node:crypto'
import type { EventStore } from '@quire/event-store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readAllEvents } from './support/checks.js'
import { freshSchema, openStore } from './support/stores.js'

/*
 * The event store's rules on this backend (EVENT-STORE.md (d)), checked directly here; the
 * shared conformance suite runs in conformance.test.ts as well.
 */

const ev = (type = 'e', data: unknown = {}, id: string = randomUUID()) => ({ id, type, data })

async function streamOf(store: EventStore, name: string): Promise<{ revision: number; type: string; id: string }[]> {
  const out: { revision: number; type: string; id: string }[] = []
  for await (const e of store.readStream(name)) out.push({ revision: e.revision, type: e.type, id: e.id })
  return out
}

describe('rules on PostgreSQL', () => {
  let store: EventStore
  beforeAll(async () => {
    store = await openStore(freshSchema('rules'))
  })
  afterAll(async () => {
    await store.close()
  })

  it('expected revision: no_stream, stream_exists, exact, any', async () => {
    const r = await store.appendToStream('er', [ev(), ev()], { expectedRevision: 'no_stream' })
    expect(r).toMatchObject({ nextExpectedRevision: 1, idempotentReplay: false })
    await expect(store.appendToStream('er', ev(), { expectedRevision: 'no_stream' })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamName: 'er', expected: 'no_stream', actual: 1 })
    await expect(store.appendToStream('er-absent', ev(), { expectedRevision: 'stream_exists' })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: 'no_stream' })
    await expect(store.appendToStream('er', ev(), { expectedRevision: 0 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: 1 })
    await expect(store.appendToStream('er', ev(), { expectedRevision: 2 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: 1 })
    expect(await store.appendToStream('er', ev(), { expectedRevision: 1 })).toMatchObject({ nextExpectedRevision: 2 })
    expect(await store.appendToStream('er', ev(), { expectedRevision: 'stream_exists' })).toMatchObject({ nextExpectedRevision: 3 })
    expect(await store.appendToStream('er', ev())).toMatchObject({ nextExpectedRevision: 4 })
    expect(await store.appendToStream('er-any', ev())).toMatchObject({ nextExpectedRevision: 0 })
    expect((await streamOf(store, 'er')).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4])
  })

  it('50 concurrent appends with the same expected revision: exactly one wins', async () => {
    await store.appendToStream('race', ev())
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.appendToStream('race', ev('r', { i }), { expectedRevision: 0 })))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: 1 })
    expect(await streamOf(store, 'race')).toHaveLength(2)
  })

  it("concurrent 'any' appends to one stream: all succeed, revisions contiguous", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.appendToStream('anyrace', [ev('a', { i }), ev('b', { i })])))
    expect(results.map((r) => r.nextExpectedRevision).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => 2 * i + 1))
    expect((await streamOf(store, 'anyrace')).map((e) => e.revision)).toEqual(Array.from({ length: 80 }, (_, i) => i))
  })

  it('multiStreamAppend is atomic: one failed expectation writes nothing and names its stream', async () => {
    await store.appendToStream('m-b', ev())
    await expect(
      store.multiStreamAppend([
        { streamName: 'm-a', events: [ev()], expectedRevision: 'no_stream' },
        { streamName: 'm-b', events: [ev()], expectedRevision: 'no_stream' },
      ]),
    ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamName: 'm-b' })
    expect(await store.getStreamState('m-a')).toEqual({ state: 'no_stream' })
    const r = await store.multiStreamAppend([
      { streamName: 'm-a', events: [ev(), ev()], expectedRevision: 'no_stream' },
      { streamName: 'm-b', events: [ev()], expectedRevision: 0 },
    ])
    expect(r.results.map((x) => x.nextExpectedRevision)).toEqual([1, 1])
    expect(r.position).toBe(r.results[1]!.position)
    expect(r.results[0]!.position < r.results[1]!.position).toBe(true)
  })

  it('idempotency: exact retries replay; any other reuse of an id is DUPLICATE_EVENT_ID', async () => {
    const a = [ev(), ev()]
    const first = await store.appendToStream('idem', a, { expectedRevision: 'no_stream' })
    expect(await store.appendToStream('idem', a, { expectedRevision: 'no_stream' })).toEqual({ ...first, idempotentReplay: true })
    expect(await store.appendToStream('idem', a)).toEqual({ ...first, idempotentReplay: true })
    await store.appendToStream('idem', ev())
    // Same ids again at a later, correct revision (KurrentDB #1898).
    await expect(store.appendToStream('idem', a, { expectedRevision: 2 })).rejects.toMatchObject({ code: 'DUPLICATE_EVENT_ID', eventId: a[0]!.id, existing: { streamName: 'idem', revision: 0 } })
    // Same id in another stream (KurrentDB #387).
    await expect(store.appendToStream('idem-other', [a[1]!])).rejects.toMatchObject({ code: 'DUPLICATE_EVENT_ID', eventId: a[1]!.id, existing: { streamName: 'idem', revision: 1 } })
    // Partial overlap.
    await expect(store.appendToStream('idem', [a[1]!, ev()])).rejects.toMatchObject({ code: 'DUPLICATE_EVENT_ID' })
    // A multi-stream retry where only some requests are retries.
    const m = [ev()]
    await store.multiStreamAppend([{ streamName: 'idem-m1', events: m }])
    await expect(store.multiStreamAppend([{ streamName: 'idem-m1', events: m }, { streamName: 'idem-m2', events: [ev()] }])).rejects.toMatchObject({ code: 'DUPLICATE_EVENT_ID', eventId: m[0]!.id })
    expect(await store.getStreamState('idem-m2')).toEqual({ state: 'no_stream' })
    expect(await streamOf(store, 'idem')).toHaveLength(3)
    expect(await store.getStreamState('idem-other')).toEqual({ state: 'no_stream' })
  })

  it('concurrent appends of one id to two streams: one wins, the other is DUPLICATE_EVENT_ID', async () => {
    const id = randomUUID()
    const results = await Promise.allSettled([store.appendToStream('dup-x', ev('x', {}, id)), store.appendToStream('dup-y', ev('y', {}, id))])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const failed = results.find((r) => r.status === 'rejected')!
    expect(failed.reason).toMatchObject({ code: 'DUPLICATE_EVENT_ID', eventId: id })
  })

  it('reads: forwards, backwards, from a revision or position, maxCount, filters; data round-trips', async () => {
    const data = { s: 'a\u0000b', emoji: '🙂', n: -1.5e-300, big: 2 ** 53 - 1, when: new Date(0), nested: [{ z: 1, a: [null, true] }] }
    await store.appendToStream('rd-1', [ev('Alpha', data), ev('Beta', [1, 2]), { type: 'Gamma', data: 'x', metadata: { c: 1 } }])
    await store.appendToStream('other-rd', ev('Alpha'))
    const fwd = await streamOf(store, 'rd-1')
    expect(fwd.map((e) => e.type)).toEqual(['Alpha', 'Beta', 'Gamma'])
    const back: string[] = []
    for await (const e of store.readStream('rd-1', { direction: 'backwards', maxCount: 2 })) back.push(e.type)
    expect(back).toEqual(['Gamma', 'Beta'])
    const from1: string[] = []
    for await (const e of store.readStream('rd-1', { fromRevision: 1 })) from1.push(e.type)
    expect(from1).toEqual(['Beta', 'Gamma'])
    const events = []
    for await (const e of store.readStream('rd-1')) events.push(e)
    expect(events[0]!.data).toEqual(data)
    expect(events[0]!.metadata).toBeUndefined()
    expect(events[2]!.metadata).toEqual({ c: 1 })
    expect(events[0]!.recordedAt).toBeInstanceOf(Date)

    const all = await readAllEvents(store)
    for (let i = 1; i < all.length; i++) expect(all[i]!.position > all[i - 1]!.position).toBe(true)
    const byPrefix: string[] = []
    for await (const e of store.readAll({ filter: { streamNamePrefix: ['rd-'], eventTypePrefix: ['Al', 'Ga'] } })) byPrefix.push(`${e.streamName}:${e.type}`)
    expect(byPrefix).toEqual(['rd-1:Alpha', 'rd-1:Gamma'])
    const backwards: bigint[] = []
    for await (const e of store.readAll({ direction: 'backwards', maxCount: 3 })) backwards.push(e.position)
    expect(backwards).toEqual(all.slice(-3).map((e) => e.position).reverse())
    const fromPos: bigint[] = []
    for await (const e of store.readAll({ fromPosition: all[2]!.position, maxCount: 2 })) fromPos.push(e.position)
    expect(fromPos).toEqual([all[2]!.position, all[3]!.position])
    // LIKE metacharacters in a prefix are plain characters.
    await store.appendToStream('pct%_x', ev())
    const like: string[] = []
    for await (const e of store.readAll({ filter: { streamNamePrefix: ['pct%_'] } })) like.push(e.streamName)
    expect(like).toEqual(['pct%_x'])
    const none: string[] = []
    for await (const e of store.readAll({ filter: { streamNamePrefix: ['pct__'] } })) none.push(e.streamName)
    expect(none).toEqual([])
    await expect(streamOf(store, 'rd-absent')).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' })
  })

  it('soft delete, tombstone and metadata, as system events in $$<stream>', async () => {
    await store.appendToStream('del', [ev(), ev()])
    await store.deleteStream('del', { expectedRevision: 1 })
    await expect(streamOf(store, 'del')).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' })
    expect(await store.getStreamState('del')).toEqual({ state: 'deleted', revision: 1 })
    expect(await store.appendToStream('del', ev('again'), { expectedRevision: 'no_stream' })).toMatchObject({ nextExpectedRevision: 2 })
    expect((await streamOf(store, 'del')).map((e) => e.revision)).toEqual([2])

    await store.setStreamMetadata('del', { maxCount: 5, custom: { at: new Date(7) } }, { expectedMetadataRevision: 0 })
    expect(await store.getStreamMetadata('del')).toEqual({ metadata: { maxCount: 5, custom: { at: new Date(7) } }, metadataRevision: 1 })
    await expect(store.setStreamMetadata('del', {}, { expectedMetadataRevision: 0 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamName: '$$del', actual: 1 })

    await expect(store.tombstoneStream('del', { expectedRevision: 1 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: 2 })
    await store.tombstoneStream('del', { expectedRevision: 2 })
    await expect(store.appendToStream('del', ev())).rejects.toMatchObject({ code: 'STREAM_DELETED' })
    await expect(streamOf(store, 'del')).rejects.toMatchObject({ code: 'STREAM_DELETED' })
    await expect(store.setStreamMetadata('del', {})).rejects.toMatchObject({ code: 'STREAM_DELETED' })
    expect(await store.getStreamState('del')).toEqual({ state: 'tombstoned' })

    const system: string[] = []
    for await (const e of store.readAll({ filter: { includeSystem: true, streamNamePrefix: ['$$del'] } })) system.push(`${e.revision}:${e.type}`)
    expect(system).toEqual(['0:$deleted', '1:$metadata', '2:$tombstone'])
    // $all without includeSystem leaves them out.
    expect((await readAllEvents(store)).some((e) => e.streamName.startsWith('$'))).toBe(false)
  })
})
