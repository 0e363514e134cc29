import { randomUUID } from 'node:crypto'
import { deepEqual, equal } from 'node:assert/strict'
import type { EventStore } from '../../event-store.js'
import type { EventData } from '../../types.js'
import { collect, events, readAllEvents, readStreamAll, rejectsWithCode, streamName } from '../assertions.js'
import type { EventStoreConformanceCase } from '../harness.js'

const group = 'idempotency'

/** Ids of a stream's events, in revision order. */
const idsOf = async (store: EventStore, name: string): Promise<string[]> => (await readStreamAll(store, name)).map((e) => e.id)

/** Cases 12–17 of EVENT-STORE.md (d): the one idempotency rule. */
export const idempotencyCases: readonly EventStoreConformanceCase[] = [
  {
    group,
    name: '12. the same append retried (same ids, same expected revision) replays: idempotentReplay, one copy',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      const batch = events(3)
      const first = await store.appendToStream(name, batch, { expectedRevision: 'no_stream' })
      const again = await store.appendToStream(name, batch, { expectedRevision: 'no_stream' })
      deepEqual(again, { ...first, idempotentReplay: true })
      const more = events(2)
      const second = await store.appendToStream(name, more, { expectedRevision: 2 })
      await store.appendToStream(name, events(1))
      const retried = await store.appendToStream(name, more, { expectedRevision: 2 })
      deepEqual(retried, { ...second, idempotentReplay: true }, 'a retry answers with the original result even after later appends')
      const ids = await idsOf(store, name)
      equal(ids.length, 6)
      deepEqual(ids.slice(0, 5), [...batch, ...more].map((e) => e.id))
      equal((await readAllEvents(store)).length, 6)
      // Ids compare case-insensitively (they are stored lowercase).
      const upper = batch.map((e) => ({ ...e, id: e.id!.toUpperCase() }))
      equal((await store.appendToStream(name, upper, { expectedRevision: 'no_stream' })).idempotentReplay, true)
      // A multi-stream append retried whole replays too.
      const a = streamName('a')
      const b = streamName('b')
      const requests = [
        { streamName: a, events: events(1), expectedRevision: 'no_stream' as const },
        { streamName: b, events: events(2), expectedRevision: 'no_stream' as const },
      ]
      const multi = await store.multiStreamAppend(requests)
      const multiAgain = await store.multiStreamAppend(requests)
      deepEqual(multiAgain.results, multi.results.map((r) => ({ ...r, idempotentReplay: true })))
      equal(multiAgain.position, multi.position)
      equal((await readAllEvents(store)).length, 9)
    },
  },
  {
    group,
    name: "13. the same ids retried with 'any' replay the same way",
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(2))
      const batch = events(2)
      const first = await store.appendToStream(name, batch, { expectedRevision: 1 })
      await store.appendToStream(name, events(1))
      deepEqual(await store.appendToStream(name, batch), { ...first, idempotentReplay: true })
      deepEqual(await store.appendToStream(name, batch, { expectedRevision: 'any' }), { ...first, idempotentReplay: true })
      // A consecutive part of the original append is a retry too (its ids sit where they were written).
      equal((await store.appendToStream(name, [batch[1]!])).idempotentReplay, true)
      equal((await readStreamAll(store, name)).length, 5)
    },
  },
  {
    group,
    name: '14. the same id re-appended at a later revision is DUPLICATE_EVENT_ID',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      const [e] = events(1)
      await store.appendToStream(name, [e!], { expectedRevision: 'no_stream' })
      const err = await rejectsWithCode(store.appendToStream(name, [e!], { expectedRevision: 0 }), 'DUPLICATE_EVENT_ID')
      equal(err.eventId, e!.id)
      deepEqual(err.existing, { streamName: name, revision: 0 })
      await store.appendToStream(name, events(2))
      await rejectsWithCode(store.appendToStream(name, [e!], { expectedRevision: 2 }), 'DUPLICATE_EVENT_ID')
      await rejectsWithCode(store.appendToStream(name, [e!], { expectedRevision: 'stream_exists' }), 'DUPLICATE_EVENT_ID')
      // The same ids in another order are not the same append.
      const pair = events(2)
      await store.appendToStream(name, pair)
      await rejectsWithCode(store.appendToStream(name, [pair[1]!, pair[0]!]), 'DUPLICATE_EVENT_ID')
      equal((await readStreamAll(store, name)).length, 5)
    },
  },
  {
    group,
    name: '15. the same id appended to another stream is DUPLICATE_EVENT_ID (ids are unique store-wide)',
    async run(ctx) {
      const store = await ctx.open()
      const a = streamName('a')
      const b = streamName('b')
      const batch = events(1)
      await store.appendToStream(a, batch)
      const err = await rejectsWithCode(store.appendToStream(b, batch), 'DUPLICATE_EVENT_ID')
      deepEqual(err.existing, { streamName: a, revision: 0 })
      await rejectsWithCode(store.multiStreamAppend([{ streamName: b, events: [...events(1), ...batch] }]), 'DUPLICATE_EVENT_ID')
      await rejectsWithCode(collect(store.readStream(b)), 'STREAM_NOT_FOUND')
      // Two appends racing with one id into different streams: one lands, the other is refused.
      const [shared] = events(1)
      const race = await Promise.allSettled([
        store.appendToStream(streamName('x'), [shared!]),
        store.appendToStream(streamName('y'), [shared!]),
      ])
      equal(race.filter((r) => r.status === 'fulfilled').length, 1)
      const refused = race.find((r) => r.status === 'rejected')
      equal((refused?.reason as { code?: string } | undefined)?.code, 'DUPLICATE_EVENT_ID')
    },
  },
  {
    group,
    name: '16. a partial overlap of ids is DUPLICATE_EVENT_ID and writes nothing',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      const batch = events(2)
      await store.appendToStream(name, batch)
      const before = await readAllEvents(store)
      const overlaps: EventData[][] = [
        [...batch, ...events(1)],
        [...events(1), ...batch],
        [batch[0]!, ...events(1)],
      ]
      for (const overlap of overlaps) await rejectsWithCode(store.appendToStream(name, overlap), 'DUPLICATE_EVENT_ID')
      await rejectsWithCode(
        store.multiStreamAppend([
          { streamName: name, events: batch },
          { streamName: streamName('other'), events: events(1) },
        ]),
        'DUPLICATE_EVENT_ID',
        'a retried part of a multi-stream append next to new events',
      )
      deepEqual(await readAllEvents(store), before)
      // Concurrent exact retries into the same stream: one writes, the others replay.
      const retry = events(2)
      const name2 = streamName('r')
      const results = await Promise.all(Array.from({ length: 5 }, () => store.appendToStream(name2, retry)))
      equal(results.filter((r) => !r.idempotentReplay).length, 1)
      for (const r of results) equal(r.position, results[0]!.position)
      equal((await readStreamAll(store, name2)).length, 2)
    },
  },
  {
    group,
    name: 'a retry is judged by what the stream showed when the original was written, not now',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(2))
      await store.deleteStream(name)
      const batch = events(2)
      const first = await store.appendToStream(name, batch, { expectedRevision: 'no_stream' }) // revisions 2, 3
      await store.deleteStream(name)
      await store.appendToStream(name, events(1))
      deepEqual(await store.appendToStream(name, batch, { expectedRevision: 'no_stream' }), { ...first, idempotentReplay: true })
      await rejectsWithCode(store.appendToStream(name, batch, { expectedRevision: 1 }), 'DUPLICATE_EVENT_ID', 'revision 1 was hidden when the original was written')
      await rejectsWithCode(store.appendToStream(name, batch, { expectedRevision: 'stream_exists' }), 'DUPLICATE_EVENT_ID')
      const later = events(1)
      const second = await store.appendToStream(name, later, { expectedRevision: 4 })
      deepEqual(await store.appendToStream(name, later, { expectedRevision: 'stream_exists' }), { ...second, idempotentReplay: true })
      // And a delete after the original does not make its retry a duplicate.
      const other = streamName('t')
      await store.appendToStream(other, events(2))
      const kept = events(2)
      const original = await store.appendToStream(other, kept, { expectedRevision: 1 })
      await store.deleteStream(other)
      deepEqual(await store.appendToStream(other, kept, { expectedRevision: 1 }), { ...original, idempotentReplay: true })
      equal((await readAllEvents(store)).length, 10)
    },
  },
  {
    group,
    name: '17. retry after APPEND_FAILED (outcome unknown) and reopen leaves exactly one copy',
    requires: ['appendFailure', 'reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(1))
      const batch = events(2)

      // Written, but the caller is told it failed: the store refuses writes until reopened.
      ctx.failNextAppend('written')
      await rejectsWithCode(store.appendToStream(name, batch, { expectedRevision: 0 }), 'APPEND_FAILED')
      if (ctx.supports.poisonsAfterUnknownOutcome !== false) await rejectsWithCode(store.appendToStream(name, events(1)), 'POISONED')
      await collect(store.readAll()) // reads still work
      store = await ctx.reopen()
      const retried = await store.appendToStream(name, batch, { expectedRevision: 0 })
      equal(retried.idempotentReplay, true)
      equal(retried.nextExpectedRevision, 2)
      const ids = await idsOf(store, name)
      equal(ids.length, 3, 'exactly one copy')
      deepEqual(ids.slice(1), batch.map((e) => e.id))

      // Rolled back: nothing written, the store goes on, the retry writes it once, no gap.
      const next = events(1)
      ctx.failNextAppend('rolled-back')
      await rejectsWithCode(store.appendToStream(name, next), 'APPEND_FAILED')
      const written = await store.appendToStream(name, next)
      equal(written.idempotentReplay, false)
      equal(written.nextExpectedRevision, 3)
      const all = await readAllEvents(store, true)
      if (ctx.supports.gapFreePositions !== false) all.forEach((e, i) => equal(e.position, all[0]!.position + BigInt(i), 'positions stay contiguous'))
      equal((await readStreamAll(store, name)).length, 4)
    },
  },
  {
    group,
    name: 'the id index survives a reopen',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const name = streamName('s')
      const batch = events(2)
      const first = await store.appendToStream(name, batch, { expectedRevision: 'no_stream' })
      store = await ctx.reopen()
      deepEqual(await store.appendToStream(name, batch, { expectedRevision: 'no_stream' }), { ...first, idempotentReplay: true })
      await rejectsWithCode(store.appendToStream(streamName('other'), [batch[0]!]), 'DUPLICATE_EVENT_ID')
      await rejectsWithCode(store.appendToStream(name, [{ id: batch[1]!.id!, type: 'Again', data: 1 }], { expectedRevision: 1 }), 'DUPLICATE_EVENT_ID')
      await store.appendToStream(name, [{ id: randomUUID(), type: 'New', data: 1 }], { expectedRevision: 1 })
      equal((await readStreamAll(store, name)).length, 3)
    },
  },
]
