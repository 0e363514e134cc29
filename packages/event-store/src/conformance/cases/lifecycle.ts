import { equal } from 'node:assert/strict'
import { collect, events, readStreamAll, rejectsWithCode, streamName } from '../assertions.js'
import type { EventStoreConformanceCase } from '../harness.js'

const group = 'lifecycle'

/** Opening, closing, locking (case 45 of EVENT-STORE.md (d)) and the poisoned state. */
export const lifecycleCases: readonly EventStoreConformanceCase[] = [
  {
    group,
    name: 'close is idempotent; every call after it is CLOSED',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(1))
      const readLater = store.readStream(name)
      await Promise.all([store.close(), store.close()])
      await store.close()
      await rejectsWithCode(store.appendToStream(name, events(1)), 'CLOSED')
      await rejectsWithCode(store.multiStreamAppend([{ streamName: name, events: events(1) }]), 'CLOSED')
      await rejectsWithCode(collect(readLater), 'CLOSED')
      await rejectsWithCode(async () => collect(store.readAll()), 'CLOSED')
      await rejectsWithCode(store.getStreamState(name), 'CLOSED')
      await rejectsWithCode(store.setStreamMetadata(name, { maxCount: 1 }), 'CLOSED')
      await rejectsWithCode(store.deleteStream(name), 'CLOSED')
      await rejectsWithCode(store.tombstoneStream(name), 'CLOSED')
    },
  },
  {
    group,
    name: 'appends in flight when close is called finish first',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const name = streamName('s')
      const pending = Array.from({ length: 10 }, () => store.appendToStream(name, events(1)))
      const closing = store.close()
      const settled = await Promise.allSettled(pending)
      await closing
      const acknowledged = settled.filter((s) => s.status === 'fulfilled').length
      for (const s of settled) if (s.status === 'rejected') equal((s.reason as { code?: string }).code, 'CLOSED')
      store = await ctx.reopen()
      equal((await readStreamAll(store, name)).length, acknowledged, 'every acknowledged append is there, no other')
    },
  },
  {
    group,
    name: '`await using` closes the store',
    requires: ['reopen'],
    async run(ctx) {
      const name = streamName('s')
      {
        await using store = await ctx.open()
        await store.appendToStream(name, events(2))
      }
      const again = await ctx.reopen()
      equal((await readStreamAll(again, name)).length, 2)
    },
  },
  {
    group,
    name: '45. a second open of an open store is LOCKED; after close it opens',
    requires: ['lock', 'reopen'],
    async run(ctx) {
      const store = await ctx.open()
      await store.appendToStream(streamName('s'), events(1))
      await rejectsWithCode(ctx.openAgain(), 'LOCKED')
      const last = await store.appendToStream(streamName('s'), events(1))
      const reopened = await ctx.reopen()
      equal(reopened.lastPosition, last.position)
    },
  },
]
