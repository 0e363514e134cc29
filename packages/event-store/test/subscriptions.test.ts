// Catch-up subscriptions (subscribeToAll / subscribeToStream) on the memory backend: catch-up then
// live, exactly once and in order under concurrent writers, start positions, filters, bounded
// buffering with fellBehind/caughtUp, ending and dropping, and the shared wake-up.
import { randomUUID } from 'node:crypto'
import { checkProperty, fc } from '@quire/test-kit'
import { afterEach, describe, expect, it } from 'vitest'
import { EventStore, memoryBackend, type EventData, type RecordedEvent } from '../src/index.js'
import type { EventStoreDriver } from '../src/driver.js'
import { storeInternals } from '../src/event-store.js'
import { AppendWaker } from '../src/subscriptions/append-waker.js'
import { SubscriptionHub } from '../src/subscriptions/hub.js'
import { SUBSCRIPTION_PAGE_EVENTS } from '../src/subscriptions/limits.js'
import type { Subscription } from '../src/subscriptions/subscription.js'

const stores: EventStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined)
})

async function open(): Promise<EventStore> {
  const store = await EventStore.open({ backend: memoryBackend() })
  stores.push(store)
  return store
}

const ev = (type = 'Happened', data: unknown = {}): EventData => ({ id: randomUUID(), type, data })

async function readAllOf(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const e of store.readAll()) out.push(e)
  return out
}

/** Pulls `n` events from a subscription. */
async function take(sub: Subscription, n: number): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  while (out.length < n) {
    const r = await sub.next()
    if (r.done === true) throw new Error(`subscription ended after ${out.length} of ${n} events`)
    out.push(r.value)
  }
  return out
}

const ids = (events: readonly RecordedEvent[]): string[] => events.map((e) => e.id)

/** Lets the event loop turn until `done()` holds; fails (instead of hanging) after `maxTurns`. */
async function until(done: () => boolean, maxTurns = 50_000): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    if (turn >= maxTurns) throw new Error(`condition not reached after ${maxTurns} turns`)
    await new Promise((r) => setImmediate(r))
  }
}

describe('subscribeToAll', () => {
  it('delivers the N events already there, reports caughtUp once, then the M appended after', async () => {
    const store = await open()
    for (let i = 0; i < 5; i++) await store.appendToStream(`s-${i % 2}`, [ev()])
    const sub = store.subscribeToAll()
    const seen: string[] = []
    const marks: number[] = []
    sub.on('caughtUp', () => marks.push(seen.length))
    for (const e of await take(sub, 5)) seen.push(e.id)
    // The caught-up report comes when the consumer asks past the last historical event.
    const nextLive = sub.next()
    for (let i = 0; i < 3; i++) await store.appendToStream('s-live', [ev()])
    const first = await nextLive
    seen.push((first.value as RecordedEvent).id)
    for (const e of await take(sub, 2)) seen.push(e.id)
    expect(seen).toEqual(ids(await readAllOf(store)))
    expect(marks).toEqual([5])
    await sub.unsubscribe()
  })

  it('sees every event exactly once, in order, while 8 writers append concurrently', async () => {
    const store = await open()
    const resolvedIds = new Set<string>()
    let deliveredBeforeResolve = 0
    const consume = (sub: Subscription, seen: RecordedEvent[]): Promise<void> =>
      (async () => {
        for await (const e of sub) {
          if (!resolvedIds.has(e.id)) deliveredBeforeResolve++
          seen.push(e)
          // A slow consumer: the writers get ahead of it by more than a page.
          if (seen.length % 16 === 0) await new Promise((r) => setImmediate(r))
        }
      })()
    const early = store.subscribeToAll()
    const earlySeen: RecordedEvent[] = []
    const earlyDone = consume(early, earlySeen)
    let late: { sub: Subscription; seen: RecordedEvent[]; done: Promise<void> } | undefined
    let appends = 0
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 60; i++) {
        // Own streams and one shared stream; batches of 1..3 so pages split commits.
        const stream = i % 3 === 0 ? 'shared' : `writer-${w}`
        const batch = Array.from({ length: 1 + ((w + i) % 3) }, () => ev(`W${w}`))
        await store.appendToStream(stream, batch)
        for (const e of batch) resolvedIds.add(e.id!)
        // A second subscriber joins mid-way: it catches up across pages while writers go on.
        if (++appends === 200) {
          const sub = store.subscribeToAll()
          const seen: RecordedEvent[] = []
          late = { sub, seen, done: consume(sub, seen) }
        }
      }
    })
    await Promise.all(writers)
    const all = await readAllOf(store)
    expect(all.length).toBeGreaterThan(2 * SUBSCRIPTION_PAGE_EVENTS)
    for (const { sub, seen, done } of [{ sub: early, seen: earlySeen, done: earlyDone }, late!]) {
      await until(() => seen.length >= all.length)
      await sub.unsubscribe()
      await done
      expect(ids(seen)).toEqual(ids(all))
    }
    expect(deliveredBeforeResolve).toBe(0)
  })

  it('property: writers and subscribers started at any point, with pages of 1..5 events, see the log exactly', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 5 }),
        async (writers, startAfter, pageEvents) => {
          const store = await EventStore.open({ backend: memoryBackend() })
          // The store's real driver under a hub with tiny pages: many page boundaries.
          const hub = new SubscriptionHub(storeInternals(store).driver, { pageEvents })
          try {
            let appended = 0
            const subs: { sub: Subscription; seen: RecordedEvent[]; done: Promise<void> }[] = []
            const startSub = (): void => {
              const sub = hub.subscribeToAll()
              const seen: RecordedEvent[] = []
              const done = (async () => {
                for await (const e of sub) seen.push(e)
              })()
              subs.push({ sub, seen, done })
            }
            const pendingStarts = [...startAfter].sort((a, b) => a - b)
            await Promise.all(
              writers.map(async (batches, w) => {
                for (const n of batches) {
                  await store.appendToStream(`w-${w}`, Array.from({ length: n }, () => ev()))
                  appended += 1
                  while (pendingStarts.length > 0 && pendingStarts[0]! <= appended) {
                    pendingStarts.shift()
                    startSub()
                  }
                }
              }),
            )
            while (pendingStarts.length > 0) {
              pendingStarts.shift()
              startSub()
            }
            const all = ids(await readAllOf(store))
            for (const s of subs) {
              await until(() => s.seen.length >= all.length)
              await s.sub.unsubscribe()
              await s.done
              expect(ids(s.seen)).toEqual(all)
            }
          } finally {
            await hub.close()
            await store.close()
          }
        },
      ),
      { numRuns: 30 },
    )
  })

  it("'end' delivers only events committed after the call; a position delivers those after it", async () => {
    const store = await open()
    await store.appendToStream('a', [ev(), ev(), ev()])
    const fromEnd = store.subscribeToAll({ fromPosition: 'end' })
    const after2 = store.subscribeToAll({ fromPosition: 2n })
    await store.appendToStream('a', [ev()])
    const all = await readAllOf(store)
    expect(ids(await take(fromEnd, 1))).toEqual([all[3]!.id])
    expect(ids(await take(after2, 2))).toEqual([all[2]!.id, all[3]!.id])
    await fromEnd.unsubscribe()
    await after2.unsubscribe()
  })

  it('filters by stream-name and event-type prefix and never delivers system events by default', async () => {
    const store = await open()
    await store.appendToStream('order-1', [ev('OrderPlaced'), ev('OrderShipped')])
    await store.appendToStream('user-1', [ev('UserJoined')])
    await store.setStreamMetadata('order-1', { maxCount: 10 })
    await store.appendToStream('order-2', [ev('OrderPlaced')])
    const byStream = store.subscribeToAll({ filter: { streamNamePrefix: ['order-'] } })
    const byType = store.subscribeToAll({ filter: { eventTypePrefix: ['OrderPl', 'User'] } })
    const everything = store.subscribeToAll()
    const withSystem = store.subscribeToAll({ filter: { includeSystem: true } })
    expect((await take(byStream, 3)).map((e) => e.type)).toEqual(['OrderPlaced', 'OrderShipped', 'OrderPlaced'])
    expect((await take(byType, 3)).map((e) => e.type)).toEqual(['OrderPlaced', 'UserJoined', 'OrderPlaced'])
    expect((await take(everything, 4)).every((e) => !e.streamName.startsWith('$'))).toBe(true)
    expect((await take(withSystem, 5)).some((e) => e.streamName.startsWith('$'))).toBe(true)
    for (const s of [byStream, byType, everything, withSystem]) await s.unsubscribe()
  })

  it('holds at most one page: a consumer that stops pulling falls behind, then catches up again', async () => {
    const store = await open()
    const sub = store.subscribeToAll()
    const events: string[] = []
    sub.on('caughtUp', () => events.push('caughtUp')).on('fellBehind', () => events.push('fellBehind'))
    const first = sub.next()
    await store.appendToStream('s', [ev()])
    await first
    // Caught up (the next pull waits); then far more than a page arrives before it reads again.
    const waiting = sub.next()
    for (let i = 0; i < 3; i++) await store.appendToStream('s', Array.from({ length: SUBSCRIPTION_PAGE_EVENTS }, () => ev()))
    await waiting
    await take(sub, 3 * SUBSCRIPTION_PAGE_EVENTS - 1)
    const tail = sub.next()
    await store.appendToStream('s', [ev()])
    await tail
    expect(events).toEqual(['caughtUp', 'fellBehind', 'caughtUp'])
    await sub.unsubscribe()
  })

  it('unsubscribe ends a pending next() with done; break in for-await unsubscribes', async () => {
    const store = await open()
    const sub = store.subscribeToAll()
    const pending = sub.next()
    await sub.unsubscribe()
    expect(await pending).toEqual({ done: true, value: undefined })
    expect(await sub.next()).toEqual({ done: true, value: undefined })

    await store.appendToStream('s', [ev(), ev()])
    const sub2 = store.subscribeToAll()
    for await (const _ of sub2) break
    expect(sub2.ended).toBe(true)
  })

  it('closing the store ends its subscriptions with SUBSCRIPTION_DROPPED, cause CLOSED', async () => {
    const store = await open()
    const sub = store.subscribeToAll()
    const pending = sub.next()
    await store.close()
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'SUBSCRIPTION_DROPPED', cause: { code: 'CLOSED' } })
    expect(await sub.next()).toEqual({ done: true, value: undefined })
    expect(() => store.subscribeToAll()).toThrow(expect.objectContaining({ code: 'CLOSED' }) as Error)
  })

  it('a listener that throws drops the subscription with its error as cause', async () => {
    const store = await open()
    const sub = store.subscribeToAll()
    const boom = new Error('listener failed')
    sub.on('caughtUp', () => {
      throw boom
    })
    await expect(sub.next()).rejects.toMatchObject({ code: 'SUBSCRIPTION_DROPPED', cause: boom })
  })

  it('refuses bad options with INVALID_ARGUMENT', async () => {
    const store = await open()
    expect(() => store.subscribeToAll({ fromPosition: -1n })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error)
    expect(() => store.subscribeToAll({ fromPosition: 3 as unknown as bigint })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error)
    expect(() => store.subscribeToAll({ filter: { streamNamePrefix: 'x' as unknown as string[] } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error,
    )
    expect(() => store.subscribeToStream('', {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error)
    expect(() => store.subscribeToStream('s', { fromRevision: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error)
  })
})

describe('subscribeToStream', () => {
  it('delivers only its stream, from the start, after a revision, or from the end', async () => {
    const store = await open()
    await store.appendToStream('a', [ev('A0'), ev('A1'), ev('A2')])
    await store.appendToStream('b', [ev('B0')])
    const fromStart = store.subscribeToStream('a')
    const after1 = store.subscribeToStream('a', { fromRevision: 1 })
    const fromEnd = store.subscribeToStream('a', { fromRevision: 'end' })
    await store.appendToStream('b', [ev('B1')])
    await store.appendToStream('a', [ev('A3')])
    expect((await take(fromStart, 4)).map((e) => e.type)).toEqual(['A0', 'A1', 'A2', 'A3'])
    expect((await take(after1, 2)).map((e) => e.type)).toEqual(['A2', 'A3'])
    expect((await take(fromEnd, 1)).map((e) => [e.type, e.revision])).toEqual([['A3', 3]])
    for (const s of [fromStart, after1, fromEnd]) await s.unsubscribe()
  })

  it('waits for a stream that does not exist yet', async () => {
    const store = await open()
    const sub = store.subscribeToStream('later')
    const first = sub.next()
    await store.appendToStream('other', [ev()])
    await store.appendToStream('later', [ev('L')])
    expect((await first).value).toMatchObject({ streamName: 'later', type: 'L', revision: 0 })
    await sub.unsubscribe()
  })

  it('starts after what a soft delete hid, and continues with the recreated stream', async () => {
    const store = await open()
    await store.appendToStream('s', [ev('old'), ev('old')])
    await store.deleteStream('s')
    await store.appendToStream('s', [ev('new')])
    const sub = store.subscribeToStream('s')
    expect((await take(sub, 1)).map((e) => [e.type, e.revision])).toEqual([['new', 2]])
    await sub.unsubscribe()
  })

  it('a tombstoned stream drops the subscription with STREAM_DELETED as cause', async () => {
    const store = await open()
    await store.appendToStream('t', [ev()])
    const sub = store.subscribeToStream('t')
    await take(sub, 1)
    const next = sub.next()
    await store.tombstoneStream('t')
    await expect(next).rejects.toMatchObject({ code: 'SUBSCRIPTION_DROPPED', cause: { code: 'STREAM_DELETED' } })
  })
})

describe('the shared wake-up', () => {
  it('twenty waiting subscribers share one pending driver wait, and all wake on one append', async () => {
    const store = await open()
    const driver = storeInternals(store).driver
    let pendingWaits = 0
    let maxPendingWaits = 0
    // A counting view of the real driver (no behaviour changed).
    const counting: Pick<EventStoreDriver, 'waitForAppend' | 'headPosition'> = {
      headPosition: () => driver.headPosition(),
      waitForAppend: async (after, signal) => {
        pendingWaits++
        maxPendingWaits = Math.max(maxPendingWaits, pendingWaits)
        try {
          await driver.waitForAppend(after, signal)
        } finally {
          pendingWaits--
        }
      },
    }
    const waker = new AppendWaker(counting)
    // A wake-up comes only after the append that caused it has resolved to its caller.
    let appendResolved = false
    const wokeAfterResolve = waker.wait(undefined, new AbortController().signal).then(() => appendResolved)
    await new Promise((r) => setImmediate(r))
    await store.appendToStream('first', [ev()])
    appendResolved = true
    expect(await wokeAfterResolve).toBe(true)

    const abort = new AbortController()
    const head = await driver.headPosition()
    const woken = Array.from({ length: 20 }, () => waker.wait(head, abort.signal))
    await new Promise((r) => setImmediate(r))
    expect(pendingWaits).toBe(1)
    await store.appendToStream('s', [ev()])
    await Promise.all(woken)
    expect(maxPendingWaits).toBe(1)
    // After the wake, nobody waits: no driver wait stays pending.
    await new Promise((r) => setImmediate(r))
    expect(pendingWaits).toBe(0)
    // A waiter for less than the pending wait covers restarts it lower and is woken at once.
    const high = waker.wait(2n, abort.signal)
    await new Promise((r) => setImmediate(r))
    await waker.wait(1n, abort.signal)
    abort.abort()
    await high
    waker.close()
  })
})
