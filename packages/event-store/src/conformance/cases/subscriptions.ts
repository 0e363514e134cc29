import { randomUUID } from 'node:crypto'
import { deepEqual, equal, ok } from 'node:assert/strict'
import { storeInternals, type EventStore } from '../../event-store.js'
import type { Subscription } from '../../subscriptions/subscription.js'
import type { RecordedEvent } from '../../types.js'
import { events, readAllEvents, rejectsWithCode, streamName } from '../assertions.js'
import type { EventStoreConformanceCase } from '../harness.js'
import { Arrivals } from './arrivals.js'

const group = 'subscriptions'

const ids = (list: readonly RecordedEvent[]): string[] => list.map((e) => e.id)

/** Pulls `n` events from a subscription (fails if it ends first). */
async function take(sub: Subscription, n: number): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  while (out.length < n) {
    const r = await sub.next()
    if (r.done === true) throw new Error(`subscription ended after ${out.length} of ${n} events`)
    out.push(r.value)
  }
  return out
}

/** Consumes a subscription in the background into `arrivals`; settles when it ends. */
function consume(sub: Subscription, arrivals: Arrivals<RecordedEvent>, onEvent?: (e: RecordedEvent) => void): Promise<void> {
  return (async () => {
    for await (const e of sub) {
      onEvent?.(e)
      arrivals.push(e)
    }
  })()
}

/** K writers, each `appends` appends of 1..3 events to its own stream or a shared one. */
async function writers(store: EventStore, k: number, appends: number, onResolved?: (ids: readonly string[]) => void): Promise<void> {
  const shared = streamName('shared')
  await Promise.all(
    Array.from({ length: k }, async (_, w) => {
      const own = streamName(`writer-${w}`)
      for (let i = 0; i < appends; i++) {
        const batch = events(1 + ((w + i) % 3), `W${w}`)
        await store.appendToStream(i % 4 === 0 ? shared : own, batch)
        onResolved?.(batch.map((e) => e.id!))
      }
    }),
  )
}

/** Cases 23–28 of EVENT-STORE.md (d): subscriptions and checkpoints. */
export const subscriptionCases: readonly EventStoreConformanceCase[] = [
  {
    group,
    name: '23. catch-up then live: N events, then M appended after: exactly N+M in order, caughtUp once between',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('s')
      await store.appendToStream(name, events(4))
      await store.appendToStream(streamName('t'), events(3))
      const sub = store.subscribeToAll({ fromPosition: 'start' })
      const caughtUpAfter: number[] = []
      let delivered = 0
      sub.on('caughtUp', () => caughtUpAfter.push(delivered))
      const historical = await take(sub, 7)
      delivered += historical.length
      const live = take(sub, 5)
      for (let i = 0; i < 5; i++) await store.appendToStream(name, events(1))
      deepEqual(ids([...historical, ...(await live)]), ids(await readAllEvents(store)))
      deepEqual(caughtUpAfter, [7], 'caughtUp once, after the 7 historical events')
      await sub.unsubscribe()
    },
  },
  {
    group,
    name: '24. no skipped events: 8 writers append concurrently while live $all subscribers run; each sees every event once, in readAll order',
    async run(ctx) {
      const store = await ctx.open()
      const early = new Arrivals<RecordedEvent>()
      const earlySub = store.subscribeToAll()
      const earlyDone = consume(earlySub, early)
      let late: { sub: Subscription; arrivals: Arrivals<RecordedEvent>; done: Promise<void> } | undefined
      let resolved = 0
      await writers(store, 8, 40, () => {
        // A second subscriber joins while the writers are busy.
        if (++resolved === 100) {
          const arrivals = new Arrivals<RecordedEvent>()
          const sub = store.subscribeToAll()
          late = { sub, arrivals, done: consume(sub, arrivals) }
        }
      })
      const all = await readAllEvents(store)
      ok(late !== undefined)
      for (const { sub, arrivals, done } of [{ sub: earlySub, arrivals: early, done: earlyDone }, late]) {
        await arrivals.reached(all.length, done)
        await sub.unsubscribe()
        await done
        deepEqual(ids(arrivals.items), ids(all), 'every committed event exactly once, in $all order')
      }
    },
  },
  {
    group,
    name: '25. a subscriber never sees an event before the append that wrote it has resolved',
    async run(ctx) {
      const store = await ctx.open()
      const resolvedIds = new Set<string>()
      const early: string[] = []
      const arrivals = new Arrivals<RecordedEvent>()
      const sub = store.subscribeToAll()
      const done = consume(sub, arrivals, (e) => {
        if (!resolvedIds.has(e.id)) early.push(e.id)
      })
      await writers(store, 4, 25, (list) => {
        for (const id of list) resolvedIds.add(id)
      })
      await arrivals.reached((await readAllEvents(store)).length, done)
      await sub.unsubscribe()
      await done
      if (ctx.supports.visibleOnCommit !== true) deepEqual(early, [], 'events delivered before their append resolved')
    },
  },
  {
    group,
    name: '25. a subscriber never sees an event that a crash later loses',
    requires: ['crash'],
    async run(ctx) {
      let store = await ctx.open()
      const arrivals = new Arrivals<RecordedEvent>()
      const sub = store.subscribeToAll()
      const done = consume(sub, arrivals)
      const name = streamName('s')
      await store.appendToStream(name, events(3))
      await arrivals.reached(3, done)
      // Appends still in flight when the power goes.
      const inFlight = Array.from({ length: 20 }, (_, i) => store.appendToStream(streamName(`f${i}`), events(2)).catch(() => undefined))
      await arrivals.reached(4, done)
      const seen = [...arrivals.items]
      store = await ctx.crash()
      await Promise.all(inFlight)
      const after = new Map((await readAllEvents(store)).map((e) => [e.id, e.position]))
      for (const e of seen) equal(after.get(e.id), e.position, `event ${e.id} was delivered, then lost or moved by the crash`)
    },
  },
  {
    group,
    name: '26. durable subscription: resumes after its checkpoint across reopen; at-least-once; a throwing handler stops it at that event',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const id = `mailer-${randomUUID()}`
      const name = streamName('s')
      await store.appendToStream(name, events(5))
      const all = await readAllEvents(store)
      const boom = new Error('handler failed')
      const handled = new Arrivals<string>()
      const sub = await store.subscribe(id, (e) => {
        if (e.id === all[3]!.id) throw boom
        handled.push(e.id)
      })
      const dropped = await rejectsWithCode(sub.done, 'SUBSCRIPTION_DROPPED')
      equal(dropped.cause, boom, 'the handler error is the cause')
      deepEqual(handled.items, ids(all.slice(0, 3)))
      deepEqual(await store.getCheckpoint(id), { position: all[2]!.position, eventId: all[2]!.id }, 'checkpoint not past the failing event')

      store = await ctx.reopen()
      await store.appendToStream(name, events(2))
      const everything = await readAllEvents(store)
      const resumed = new Arrivals<string>()
      const again = await store.subscribe(id, (e) => void resumed.push(e.id))
      await resumed.reached(4, again.done)
      await again.stop()
      deepEqual(resumed.items, ids(everything.slice(3)), 'resumes at the failed event, then the new ones')
    },
  },
  {
    group,
    name: '27. a checkpoint past the end of the log, or at another event id, is CHECKPOINT_MISMATCH',
    async run(ctx) {
      const store = await ctx.open()
      await store.appendToStream(streamName('s'), events(3))
      const all = await readAllEvents(store)
      const driver = storeInternals(store).driver
      const past = `past-${randomUUID()}`
      const other = `other-${randomUUID()}`
      await driver.storeCheckpoint(past, { position: all[2]!.position + 1000n, eventId: all[2]!.id })
      await driver.storeCheckpoint(other, { position: all[1]!.position, eventId: randomUUID() })
      let delivered = 0
      await rejectsWithCode(store.subscribe(past, () => void delivered++), 'CHECKPOINT_MISMATCH')
      await rejectsWithCode(store.subscribe(other, () => void delivered++), 'CHECKPOINT_MISMATCH')
      equal(delivered, 0, 'nothing delivered from a mismatched checkpoint')
      await rejectsWithCode(store.resetCheckpoint(other, { position: all[0]!.position, eventId: randomUUID() }), 'CHECKPOINT_MISMATCH')
      await store.resetCheckpoint(other, { position: all[0]!.position, eventId: all[0]!.id })
      const resumed = new Arrivals<string>()
      const sub = await store.subscribe(other, (e) => void resumed.push(e.id))
      await resumed.reached(2, sub.done)
      await sub.stop()
      deepEqual(resumed.items, ids(all.slice(1)))
    },
  },
  {
    group,
    name: '28. subscribeToStream from a revision delivers only that stream, after that revision',
    async run(ctx) {
      const store = await ctx.open()
      const a = streamName('a')
      const b = streamName('b')
      await store.appendToStream(a, events(3, 'A'))
      await store.appendToStream(b, events(2, 'B'))
      const sub = store.subscribeToStream(a, { fromRevision: 0 })
      const fromEnd = store.subscribeToStream(a, { fromRevision: 'end' })
      await store.appendToStream(b, events(1, 'B'))
      await store.appendToStream(a, events(2, 'A'))
      const got = await take(sub, 4)
      deepEqual(
        got.map((e) => [e.streamName, e.revision]),
        [
          [a, 1],
          [a, 2],
          [a, 3],
          [a, 4],
        ],
      )
      deepEqual(
        (await take(fromEnd, 2)).map((e) => e.revision),
        [3, 4],
      )
      await sub.unsubscribe()
      await fromEnd.unsubscribe()
    },
  },
]
