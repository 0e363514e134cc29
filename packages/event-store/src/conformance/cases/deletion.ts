import { deepEqual, equal, ok } from 'node:assert/strict'
import { collect, events, readAllEvents, readStreamAll, rejectsWithCode, streamName } from '../assertions.js'
import type { EventStoreConformanceCase } from '../harness.js'

const group = 'deletion'

/** Cases 37–39 of EVENT-STORE.md (d): soft delete, tombstone, metadata and retention. */
export const deletionCases: readonly EventStoreConformanceCase[] = [
  {
    group,
    name: '37. soft delete: STREAM_NOT_FOUND, appends continue the revisions, only new events visible, $all keeps the old',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      const old = events(3)
      await store.appendToStream(name, old)
      await rejectsWithCode(store.deleteStream(name, { expectedRevision: 1 }), 'WRONG_EXPECTED_VERSION', 'expectedRevision on delete is enforced')
      const deleted = await store.deleteStream(name, { expectedRevision: 2 })
      equal(typeof deleted.position, 'bigint')
      await rejectsWithCode(collect(store.readStream(name)), 'STREAM_NOT_FOUND')
      deepEqual(await store.getStreamState(name), { state: 'deleted', revision: 2 })
      await rejectsWithCode(store.appendToStream(name, events(1), { expectedRevision: 'stream_exists' }), 'WRONG_EXPECTED_VERSION')
      await rejectsWithCode(store.appendToStream(name, events(1), { expectedRevision: 2 }), 'WRONG_EXPECTED_VERSION')
      const fresh = events(2)
      const r = await store.appendToStream(name, fresh, { expectedRevision: 'no_stream' })
      equal(r.nextExpectedRevision, 4, 'revisions continue after the deleted ones')
      const read = await collect(store.readStream(name))
      deepEqual(read.map((e) => e.revision), [3, 4])
      deepEqual(read.map((e) => e.id), fresh.map((e) => e.id))
      deepEqual(await store.getStreamState(name), { state: 'exists', revision: 4 })
      const all = await readAllEvents(store)
      deepEqual(all.map((e) => e.id), [...old, ...fresh].map((e) => e.id), '$all still has the old events')
      // 'any' continues too, and the old ids stay taken.
      await store.deleteStream(name)
      equal((await store.appendToStream(name, events(1))).nextExpectedRevision, 5)
      await rejectsWithCode(store.appendToStream(streamName('t'), [old[0]!]), 'DUPLICATE_EVENT_ID')
      // Deleting what holds nothing is harmless.
      const never = streamName('never')
      await store.deleteStream(never)
      deepEqual(await store.getStreamState(never), { state: 'no_stream' })
      equal((await store.appendToStream(never, events(1), { expectedRevision: 'no_stream' })).nextExpectedRevision, 0)
    },
  },
  {
    group,
    name: '37b. a soft delete survives reopen',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(2))
      await store.deleteStream(name)
      store = await ctx.reopen()
      await rejectsWithCode(collect(store.readStream(name)), 'STREAM_NOT_FOUND')
      deepEqual(await store.getStreamState(name), { state: 'deleted', revision: 1 })
      equal((await store.appendToStream(name, events(1), { expectedRevision: 'no_stream' })).nextExpectedRevision, 2)
      store = await ctx.reopen()
      deepEqual((await collect(store.readStream(name))).map((e) => e.revision), [2])
    },
  },
  {
    group,
    name: '38. tombstone: appends and reads are STREAM_DELETED, forever, across reopen; its expectedRevision is enforced',
    async run(ctx) {
      let store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(2))
      await rejectsWithCode(store.tombstoneStream(name, { expectedRevision: 'no_stream' }), 'WRONG_EXPECTED_VERSION')
      await store.tombstoneStream(name, { expectedRevision: 1 })
      const check = async (): Promise<void> => {
        await rejectsWithCode(store.appendToStream(name, events(1)), 'STREAM_DELETED')
        await rejectsWithCode(store.appendToStream(name, events(1), { expectedRevision: 'no_stream' }), 'STREAM_DELETED')
        await rejectsWithCode(store.multiStreamAppend([{ streamName: name, events: events(1) }, { streamName: streamName('o'), events: events(1) }]), 'STREAM_DELETED')
        await rejectsWithCode(collect(store.readStream(name)), 'STREAM_DELETED')
        await rejectsWithCode(store.deleteStream(name), 'STREAM_DELETED')
        await rejectsWithCode(store.tombstoneStream(name), 'STREAM_DELETED')
        await rejectsWithCode(store.setStreamMetadata(name, { maxCount: 1 }), 'STREAM_DELETED')
        deepEqual(await store.getStreamState(name), { state: 'tombstoned' })
      }
      await check()
      equal((await readAllEvents(store)).length, 2, '$all keeps the events of a tombstoned stream')
      // A name that never held events can be tombstoned (reserved) too.
      const reserved = streamName('reserved')
      await store.tombstoneStream(reserved)
      await rejectsWithCode(store.appendToStream(reserved, events(1)), 'STREAM_DELETED')
      if (ctx.supports.reopen) {
        store = await ctx.reopen()
        await check()
        await rejectsWithCode(store.appendToStream(reserved, events(1)), 'STREAM_DELETED')
      }
    },
  },
  {
    group,
    name: '39. maxCount, maxAge and truncateBefore hide events from readStream; metadata has its own expected revision',
    async run(ctx) {
      let clock = Date.now()
      const store = await ctx.open({ now: () => clock })
      const name = streamName('s')
      await store.appendToStream(name, events(10))
      equal(await store.getStreamMetadata(name), undefined)
      await rejectsWithCode(store.setStreamMetadata(name, { maxCount: 3 }, { expectedMetadataRevision: 0 }), 'WRONG_EXPECTED_VERSION')
      const set = await store.setStreamMetadata(name, { maxCount: 3, custom: { owner: 'ops' } }, { expectedMetadataRevision: 'no_stream' })
      equal(set.nextExpectedRevision, 0)
      deepEqual(await store.getStreamMetadata(name), { metadata: { maxCount: 3, custom: { owner: 'ops' } }, metadataRevision: 0 })
      const revisions = async (options?: Parameters<typeof store.readStream>[1]): Promise<number[]> =>
        (await collect(store.readStream(name, options))).map((e) => e.revision)
      deepEqual(await revisions(), [7, 8, 9])
      deepEqual(await revisions({ direction: 'backwards' }), [9, 8, 7])
      deepEqual(await revisions({ fromRevision: 2 }), [7, 8, 9])
      deepEqual(await revisions({ fromRevision: 2, direction: 'backwards' }), [])

      await rejectsWithCode(store.setStreamMetadata(name, { truncateBefore: 5 }, { expectedMetadataRevision: 'no_stream' }), 'WRONG_EXPECTED_VERSION')
      await store.setStreamMetadata(name, { truncateBefore: 5 }, { expectedMetadataRevision: 0 })
      deepEqual(await revisions(), [5, 6, 7, 8, 9], 'metadata is replaced whole: maxCount is gone')
      deepEqual(await revisions({ direction: 'backwards', maxCount: 2 }), [9, 8])

      await store.setStreamMetadata(name, { maxAge: 60 }, { expectedMetadataRevision: 1 })
      deepEqual(await revisions(), Array.from({ length: 10 }, (_, i) => i))
      clock += 3_600_000
      await rejectsWithCode(store.setStreamMetadata(name, { maxAge: 60 }, { expectedMetadataRevision: 1 }), 'WRONG_EXPECTED_VERSION')
      deepEqual(await revisions(), [], 'events older than maxAge are hidden; the stream still exists')
      deepEqual(await store.getStreamState(name), { state: 'exists', revision: 9 })
      equal((await store.appendToStream(name, events(1), { expectedRevision: 9 })).nextExpectedRevision, 10)
      deepEqual(await revisions(), [], 'the new event was recorded by the backend clock, an hour behind this reader clock')
      equal((await readAllEvents(store)).length, 11, '$all is not affected by retention')
      deepEqual((await store.getStreamMetadata(name))?.metadataRevision, 2)
      ok((await readStreamAll(store, name)).length === 0)
    },
  },
]
