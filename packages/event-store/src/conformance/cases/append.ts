import { randomUUID } from 'node:crypto'
import { deepEqual, equal, ok } from 'node:assert/strict'
import { MAX_APPEND_EVENTS, MAX_EVENT_BYTES, MAX_STREAM_NAME_BYTES } from '../../limits.js'
import type { EventData } from '../../types.js'
import { collect, events, readAllEvents, readStreamAll, rejectsWithCode, streamName } from '../assertions.js'
import type { EventStoreConformanceCase } from '../harness.js'

const group = 'append'

/** Cases 1–11 of EVENT-STORE.md (d): append and expected revision. */
export const appendCases: readonly EventStoreConformanceCase[] = [
  {
    group,
    name: "1. append to a new stream with 'no_stream' gives revisions 0..n-1",
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('account')
      const batch = events(3)
      const r = await store.appendToStream(name, batch, { expectedRevision: 'no_stream' })
      equal(r.nextExpectedRevision, 2)
      equal(r.idempotentReplay, false)
      const read = await collect(store.readStream(name))
      deepEqual(read.map((e) => e.revision), [0, 1, 2])
      deepEqual(read.map((e) => e.id), batch.map((e) => e.id))
      equal(r.position, read[2]!.position, 'result.position is the position of the last event')
      ok(read[0]!.position < read[1]!.position && read[1]!.position < read[2]!.position)
      if (ctx.supports.gapFreePositions !== false) {
        equal(read[1]!.position, read[0]!.position + 1n)
        equal(read[2]!.position, read[1]!.position + 1n)
      }
      equal(store.lastPosition, r.position)
      const single = await store.appendToStream(streamName('single'), { type: 'One', data: null })
      equal(single.nextExpectedRevision, 0, 'a single EventData (not an array) is accepted')
    },
  },
  {
    group,
    name: "2. 'no_stream' on an existing stream is WRONG_EXPECTED_VERSION; nothing written",
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(2))
      const before = store.lastPosition
      const err = await rejectsWithCode(store.appendToStream(name, events(1), { expectedRevision: 'no_stream' }), 'WRONG_EXPECTED_VERSION')
      equal(err.streamName, name)
      equal(err.expected, 'no_stream')
      equal(err.actual, 1)
      equal((await readStreamAll(store, name)).length, 2)
      equal(store.lastPosition, before)
      equal((await readAllEvents(store)).length, 2)
    },
  },
  {
    group,
    name: "3. 'stream_exists' on an absent stream is WRONG_EXPECTED_VERSION (actual 'no_stream')",
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      const err = await rejectsWithCode(store.appendToStream(name, events(1), { expectedRevision: 'stream_exists' }), 'WRONG_EXPECTED_VERSION')
      equal(err.actual, 'no_stream')
      equal(err.expected, 'stream_exists')
      await rejectsWithCode(collect(store.readStream(name)), 'STREAM_NOT_FOUND')
      deepEqual(await store.getStreamState(name), { state: 'no_stream' })
      await store.appendToStream(name, events(1))
      const ok2 = await store.appendToStream(name, events(1), { expectedRevision: 'stream_exists' })
      equal(ok2.nextExpectedRevision, 1)
    },
  },
  {
    group,
    name: '4. exact expected revision: right is ok, off by one either way fails and writes nothing',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(3)) // revisions 0..2
      for (const wrong of [1, 3, 0]) {
        const err = await rejectsWithCode(store.appendToStream(name, events(1), { expectedRevision: wrong }), 'WRONG_EXPECTED_VERSION')
        equal(err.expected, wrong)
        equal(err.actual, 2)
      }
      equal((await readStreamAll(store, name)).length, 3)
      const r = await store.appendToStream(name, events(2), { expectedRevision: 2 })
      equal(r.nextExpectedRevision, 4)
      await rejectsWithCode(store.appendToStream(streamName('absent'), events(1), { expectedRevision: 0 }), 'WRONG_EXPECTED_VERSION')
    },
  },
  {
    group,
    name: "5. 'any' (the default) appends to absent and existing streams",
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      equal((await store.appendToStream(name, events(1), { expectedRevision: 'any' })).nextExpectedRevision, 0)
      equal((await store.appendToStream(name, events(2), { expectedRevision: 'any' })).nextExpectedRevision, 2)
      equal((await store.appendToStream(name, events(1))).nextExpectedRevision, 3)
      deepEqual(await store.getStreamState(name), { state: 'exists', revision: 3 })
    },
  },
  {
    group,
    name: '6. 50 concurrent appends with the same expected revision: exactly one wins',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('race')
      await store.appendToStream(name, events(1))
      const attempts = Array.from({ length: 50 }, (_, i) => events(2, `Attempt${i}`))
      const settled = await Promise.allSettled(attempts.map((batch) => store.appendToStream(name, batch, { expectedRevision: 0 })))
      const won = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []))
      equal(won.length, 1, 'exactly one append wins')
      for (const s of settled) {
        if (s.status === 'rejected') equal((s.reason as { code?: string }).code, 'WRONG_EXPECTED_VERSION')
      }
      const read = await collect(store.readStream(name))
      equal(read.length, 3)
      deepEqual(read.slice(1).map((e) => e.id), attempts[won[0]!]!.map((e) => e.id))
    },
  },
  {
    group,
    name: "7. concurrent 'any' appends to one stream all succeed, revisions contiguous, none lost",
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('busy')
      const batches = Array.from({ length: 40 }, (_, i) => events(1 + (i % 3), `B${i}`))
      const results = await Promise.all(batches.map((batch) => store.appendToStream(name, batch)))
      const total = batches.reduce((n, b) => n + b.length, 0)
      const read = await collect(store.readStream(name))
      deepEqual(read.map((e) => e.revision), Array.from({ length: total }, (_, i) => i))
      const ids = new Set(read.map((e) => e.id))
      for (const batch of batches) for (const e of batch) ok(ids.has(e.id!), 'every appended event is there')
      // Each batch's events are contiguous and end at the revision its result names.
      batches.forEach((batch, i) => {
        const end = results[i]!.nextExpectedRevision
        deepEqual(read.slice(end - batch.length + 1, end + 1).map((e) => e.id), batch.map((e) => e.id))
      })
    },
  },
  {
    group,
    name: '8. a batch with one invalid event writes nothing',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      const batch: EventData[] = [...events(2), { type: 'Bad', data: { when: new Date(Number.NaN) } }, ...events(1)]
      await rejectsWithCode(store.appendToStream(name, batch), 'INVALID_ARGUMENT')
      await rejectsWithCode(collect(store.readStream(name)), 'STREAM_NOT_FOUND')
      equal((await readAllEvents(store, true)).length, 0)
      equal(store.lastPosition, undefined)
    },
  },
  {
    group,
    name: "9. multiStreamAppend: one stream's expectation fails -> nothing written anywhere; the error names it",
    async run(ctx) {
      const store = await ctx.open()
      const a = streamName('a')
      const b = streamName('b')
      const c = streamName('c')
      await store.appendToStream(b, events(1))
      const err = await rejectsWithCode(
        store.multiStreamAppend([
          { streamName: a, events: events(2), expectedRevision: 'no_stream' },
          { streamName: b, events: events(1), expectedRevision: 'no_stream' },
          { streamName: c, events: events(1), expectedRevision: 'any' },
        ]),
        'WRONG_EXPECTED_VERSION',
      )
      equal(err.streamName, b)
      equal((await readStreamAll(store, a)).length, 0)
      equal((await readStreamAll(store, b)).length, 1)
      equal((await readStreamAll(store, c)).length, 0)
      equal((await readAllEvents(store)).length, 1)

      const ok3 = await store.multiStreamAppend([
        { streamName: a, events: events(2), expectedRevision: 'no_stream' },
        { streamName: b, events: events(1), expectedRevision: 0 },
      ])
      equal(ok3.results.length, 2)
      equal(ok3.results[0]!.nextExpectedRevision, 1)
      equal(ok3.results[1]!.nextExpectedRevision, 1)
      const all = await readAllEvents(store)
      equal(all.length, 4)
      equal(ok3.position, all[3]!.position, 'position is the last event of the whole call')
      // One commit: the three events are adjacent in $all.
      if (ctx.supports.gapFreePositions !== false) deepEqual(all.slice(1).map((e) => e.position - all[1]!.position), [0n, 1n, 2n])
      await rejectsWithCode(
        store.multiStreamAppend([
          { streamName: a, events: events(1) },
          { streamName: a, events: events(1) },
        ]),
        'INVALID_ARGUMENT',
        'the same stream twice in one call',
      )
    },
  },
  {
    group,
    name: '10. bad input is INVALID_ARGUMENT and writes nothing',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const dupId = randomUUID()
      const bad: [string, () => Promise<unknown>][] = [
        ['empty batch', () => store.appendToStream(name, [])],
        ['empty stream name', () => store.appendToStream('', events(1))],
        ['$-prefixed user stream', () => store.appendToStream('$system', events(1))],
        ['stream name over the byte limit', () => store.appendToStream('é'.repeat(MAX_STREAM_NAME_BYTES / 2 + 1), events(1))],
        ['lone surrogate in the stream name', () => store.appendToStream('bad\ud800name', events(1))],
        ['not a string name', () => store.appendToStream(42 as unknown as string, events(1))],
        ['bad UUID', () => store.appendToStream(name, [{ id: 'not-a-uuid', type: 'T', data: {} }])],
        ['empty type', () => store.appendToStream(name, [{ type: '', data: {} }])],
        ['undefined data', () => store.appendToStream(name, [{ type: 'T', data: undefined }])],
        ['a function in data', () => store.appendToStream(name, [{ type: 'T', data: { f: () => 1 } }])],
        ['NaN in data', () => store.appendToStream(name, [{ type: 'T', data: { x: Number.NaN } }])],
        ['bigint in data', () => store.appendToStream(name, [{ type: 'T', data: { x: 1n } }])],
        ['binary in data', () => store.appendToStream(name, [{ type: 'T', data: new Uint8Array(2) }])],
        ['a cycle in data', () => store.appendToStream(name, [{ type: 'T', data: cyclic }])],
        ['a class instance in metadata', () => store.appendToStream(name, [{ type: 'T', data: {}, metadata: new Map() }])],
        ['a lone surrogate in data', () => store.appendToStream(name, [{ type: 'T', data: { s: 'x\udc00' } }])],
        ['an unknown key in an event', () => store.appendToStream(name, [{ type: 'T', data: {}, extra: 1 } as EventData])],
        ['an unknown option', () => store.appendToStream(name, events(1), { expectedRevsion: 0 } as never)],
        ['a bad expectedRevision', () => store.appendToStream(name, events(1), { expectedRevision: -1 })],
        ['the same id twice in one append', () => store.appendToStream(name, [{ id: dupId, type: 'T', data: 1 }, { id: dupId, type: 'T', data: 2 }])],
        ['multiStreamAppend with no requests', () => store.multiStreamAppend([])],
        ['multiStreamAppend with a $ stream', () => store.multiStreamAppend([{ streamName: '$x', events: events(1) }])],
        ['setStreamMetadata with an unknown key', () => store.setStreamMetadata(name, { maxCont: 3 } as never)],
        ['readStream with a bad option', async () => collect(store.readStream(name, { maxCount: -1 }))],
        ['readAll with a bad fromPosition', async () => collect(store.readAll({ fromPosition: 3 as unknown as bigint }))],
      ]
      for (const [what, action] of bad) await rejectsWithCode(action, 'INVALID_ARGUMENT', what)
      const err = await rejectsWithCode(store.appendToStream(name, events(1), { expectedRevsion: 0 } as never), 'INVALID_ARGUMENT')
      ok(String(err.message).includes('expectedRevsion'), 'the error names the unknown option')
      equal((await readAllEvents(store, true)).length, 0, 'nothing was written')
    },
  },
  {
    group,
    name: '11. an append over a limit is MAX_APPEND_SIZE_EXCEEDED and writes nothing',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('big')
      await rejectsWithCode(
        store.appendToStream(name, Array.from({ length: MAX_APPEND_EVENTS + 1 }, () => ({ type: 'T', data: null }))),
        'MAX_APPEND_SIZE_EXCEEDED',
        'too many events',
      )
      await rejectsWithCode(store.appendToStream(name, [{ type: 'T', data: 'x'.repeat(MAX_EVENT_BYTES) }]), 'MAX_APPEND_SIZE_EXCEEDED', 'one event too big')
      await rejectsWithCode(
        store.appendToStream(name, Array.from({ length: 9 }, () => ({ type: 'T', data: 'x'.repeat(MAX_EVENT_BYTES / 2) }))),
        'MAX_APPEND_SIZE_EXCEEDED',
        'the whole append too big',
      )
      equal((await readAllEvents(store, true)).length, 0)
      // At the limit is fine.
      const r = await store.appendToStream(name, Array.from({ length: MAX_APPEND_EVENTS }, () => ({ type: 'T', data: null })))
      equal(r.nextExpectedRevision, MAX_APPEND_EVENTS - 1)
    },
  },
  {
    group,
    name: 'the caller mutating its arrays and objects after the call changes nothing stored',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      const batch: EventData[] = [{ type: 'T', data: { list: [1, 2] }, metadata: { who: 'a' } }]
      const pending = store.appendToStream(name, batch)
      ;(batch[0]!.data as { list: number[] }).list.push(3)
      batch.push({ type: 'Extra', data: null })
      await pending
      const read = await collect(store.readStream(name))
      equal(read.length, 1)
      deepEqual(read[0]!.data, { list: [1, 2] })
      deepEqual(read[0]!.metadata, { who: 'a' })
      // Nor can a reader change what the next reader sees.
      try {
        ;(read[0]!.data).list.push(9)
      } catch {
        // frozen: refusing is fine
      }
      deepEqual((await collect(store.readStream(name)))[0]!.data, { list: [1, 2] })
    },
  },
]
