import { randomUUID } from 'node:crypto'
import { deepEqual, equal, ok } from 'node:assert/strict'
import type { EventStore } from '../../event-store.js'
import type { EventData, RecordedEvent } from '../../types.js'
import { assertLogShape, collect, events, readAllEvents, rejectsWithCode, streamName } from '../assertions.js'
import type { EventStoreConformanceCase } from '../harness.js'

const group = 'reads'

const summary = (e: RecordedEvent): string => `${e.streamName}@${e.revision}#${e.position}:${e.id}`

/** Takes the first `n` events of a `$all` subscription from the start. */
async function subscribedOrder(store: EventStore, n: number): Promise<string[]> {
  const seen: string[] = []
  if (n === 0) return seen
  const sub = store.subscribeToAll({ fromPosition: 'start' })
  for await (const e of sub) {
    seen.push(summary(e))
    if (seen.length === n) break
  }
  return seen
}

/** Cases 18–22 of EVENT-STORE.md (d): reads. */
export const readCases: readonly EventStoreConformanceCase[] = [
  {
    group,
    name: '18. readStream: directions, fromRevision start/end/n, maxCount; events read back equal',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('order')
      const when = new Date('2024-02-29T12:34:56.789Z')
      const appended: EventData[] = [
        { id: randomUUID().toUpperCase(), type: 'Placed', data: { when, items: [{ sku: 'a', qty: 2 }], note: 'ünïcødé ✓', ok: true, none: null } },
        { type: 'Paid', data: 12.5, metadata: { correlationId: 'c-1', at: when } },
        { type: 'Shipped', data: ['x', 1, false] },
        { type: 'Delivered', data: 'done' },
        { type: 'Closed', data: {} },
      ]
      const start = Date.now()
      await store.appendToStream(name, appended)
      const read = await collect(store.readStream(name))
      equal(read.length, 5)
      read.forEach((e, i) => {
        const a = appended[i]!
        equal(e.streamName, name)
        equal(e.revision, i)
        equal(e.type, a.type)
        deepEqual(e.data, a.data)
        deepEqual(e.metadata, a.metadata)
        equal(typeof e.position, 'bigint')
        ok(e.recordedAt instanceof Date && e.recordedAt.getTime() >= start - 60_000, 'recordedAt is a Date from the store clock')
        ok(/^[0-9a-f-]{36}$/.test(e.id), 'ids are lowercase UUIDs')
        if (a.id !== undefined) equal(e.id, a.id.toLowerCase())
      })
      ok((read[0]!.data as { when: unknown }).when instanceof Date, 'Dates round-trip as Dates')
      const revs = async (options: Parameters<EventStore['readStream']>[1]): Promise<number[]> =>
        (await collect(store.readStream(name, options))).map((e) => e.revision)
      deepEqual(await revs({ direction: 'backwards' }), [4, 3, 2, 1, 0])
      deepEqual(await revs({ fromRevision: 2 }), [2, 3, 4])
      deepEqual(await revs({ fromRevision: 2, direction: 'backwards' }), [2, 1, 0])
      deepEqual(await revs({ fromRevision: 'end', direction: 'backwards', maxCount: 2 }), [4, 3])
      deepEqual(await revs({ fromRevision: 'start', maxCount: 2 }), [0, 1])
      deepEqual(await revs({ fromRevision: 'end' }), [])
      deepEqual(await revs({ fromRevision: 'start', direction: 'backwards' }), [0])
      deepEqual(await revs({ fromRevision: 99 }), [])
      deepEqual(await revs({ fromRevision: 99, direction: 'backwards' }), [4, 3, 2, 1, 0])
      deepEqual(await revs({ maxCount: 0 }), [])
    },
  },
  {
    group,
    name: '19. readStream of an absent stream is STREAM_NOT_FOUND, on the first pull',
    async run(ctx) {
      const store = await ctx.open()
      const iterable = store.readStream(streamName('nothing'))
      await store.appendToStream(streamName('other'), events(1))
      await rejectsWithCode(collect(iterable), 'STREAM_NOT_FOUND')
      const name = streamName('late')
      const early = store.readStream(name)
      await store.appendToStream(name, events(2))
      equal((await collect(early)).length, 2, 'readStream is lazy: it reads when first pulled')
    },
  },
  {
    group,
    name: '20. readAll: directions, from start/end/position (inclusive), maxCount; order and revisions hold',
    async run(ctx) {
      const store = await ctx.open()
      const names = [streamName('a'), streamName('b'), streamName('c')]
      for (let i = 0; i < 12; i++) await store.appendToStream(names[i % 3]!, events(1 + (i % 2)))
      const all = await readAllEvents(store)
      equal(all.length, 18)
      assertLogShape(all)
      const backwards = await collect(store.readAll({ direction: 'backwards' }))
      deepEqual(backwards.map(summary), [...all].reverse().map(summary))
      const mid = all[7]!.position
      deepEqual((await collect(store.readAll({ fromPosition: mid }))).map(summary), all.slice(7).map(summary))
      deepEqual((await collect(store.readAll({ fromPosition: mid, direction: 'backwards' }))).map(summary), all.slice(0, 8).reverse().map(summary))
      deepEqual((await collect(store.readAll({ fromPosition: mid, maxCount: 3 }))).map(summary), all.slice(7, 10).map(summary))
      deepEqual(await collect(store.readAll({ fromPosition: 'end' })), [])
      deepEqual((await collect(store.readAll({ fromPosition: 'end', direction: 'backwards', maxCount: 1 }))).map(summary), [summary(all[17]!)])
      deepEqual(await collect(store.readAll({ fromPosition: 'start', direction: 'backwards' })), [])
      deepEqual((await collect(store.readAll({ fromPosition: all[17]!.position + 1000n, direction: 'backwards', maxCount: 2 }))).map(summary), [all[17]!, all[16]!].map(summary))
      equal(store.lastPosition, all[17]!.position)
      // The events of $all are the events of the streams.
      for (const name of names) {
        deepEqual((await collect(store.readStream(name))).map(summary), all.filter((e) => e.streamName === name).map(summary))
      }
    },
  },
  {
    group,
    name: '21. readAll filters by stream-name prefix and event-type prefix; system events only on request',
    async run(ctx) {
      const store = await ctx.open()
      const tag = randomUUID().slice(0, 8)
      await store.appendToStream(`order-${tag}-1`, [{ type: 'OrderPlaced', data: 1 }, { type: 'OrderPaid', data: 2 }])
      await store.appendToStream(`invoice-${tag}-1`, [{ type: 'InvoiceSent', data: 3 }])
      await store.appendToStream(`order-${tag}-2`, [{ type: 'OrderPlaced', data: 4 }, { type: 'Cancelled', data: 5 }])
      await store.setStreamMetadata(`order-${tag}-2`, { maxCount: 10 })
      const data = async (filter: Parameters<EventStore['readAll']>[0]): Promise<unknown[]> => (await collect(store.readAll(filter))).map((e) => e.data)
      deepEqual(await data({ filter: { streamNamePrefix: [`order-${tag}`] } }), [1, 2, 4, 5])
      deepEqual(await data({ filter: { eventTypePrefix: ['OrderPlaced', 'Invoice'] } }), [1, 3, 4])
      deepEqual(await data({ filter: { streamNamePrefix: [`order-${tag}`], eventTypePrefix: ['Order'] } }), [1, 2, 4])
      deepEqual(await data({ filter: { streamNamePrefix: [`order-${tag}`] }, direction: 'backwards', maxCount: 2 }), [5, 4])
      deepEqual(await data({ filter: { eventTypePrefix: ['Nope'] } }), [])
      const plain = await readAllEvents(store)
      equal(plain.length, 5, 'system events are left out by default')
      ok(plain.every((e) => !e.streamName.startsWith('$')))
      const withSystem = await readAllEvents(store, true)
      equal(withSystem.length, 6)
      ok(withSystem.some((e) => e.streamName.startsWith('$')), 'stream metadata is a system event in $all')
      assertLogShape(withSystem)
      // $all stays gap-free counting system events.
      if (ctx.supports.gapFreePositions !== false) withSystem.forEach((e, i) => equal(e.position, withSystem[0]!.position + BigInt(i)))
    },
  },
  {
    group,
    name: '22. $all order equals the order subscribers observe, and is the same after reopen',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const names = [streamName('x'), streamName('y')]
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendToStream(names[i % 2]!, events(1 + (i % 3)))))
      await store.multiStreamAppend(names.map((n) => ({ streamName: n, events: events(2) })))
      const before = (await readAllEvents(store)).map(summary)
      deepEqual(await subscribedOrder(store, before.length), before)
      store = await ctx.reopen()
      const after = (await readAllEvents(store)).map(summary)
      deepEqual(after, before)
      deepEqual(await subscribedOrder(store, after.length), after)
      const next = await store.appendToStream(names[0]!, events(1))
      ok(next.position > (await readAllEvents(store))[after.length - 1]!.position, 'positions go on after the last one')
    },
  },
]
