// Durable named subscriptions (store.subscribe) on the memory backend: resume after the stored
// checkpoint across reopen, at-least-once, a throwing handler stops without moving the
// checkpoint past its event, checkpoints verified (CHECKPOINT_MISMATCH), reset, policies.
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { EventStore, memoryBackend, type EventData, type RecordedEvent } from '../src/index.js'
import { storeInternals } from '../src/event-store.js'

const stores: EventStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined)
})

async function open(backend = memoryBackend()): Promise<EventStore> {
  const store = await EventStore.open({ backend })
  stores.push(store)
  return store
}

const ev = (type = 'Happened'): EventData => ({ id: randomUUID(), type, data: {} })

async function readAllOf(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const e of store.readAll()) out.push(e)
  return out
}

/** Lets the event loop turn until `done()` holds; fails (instead of hanging) after `maxTurns`. */
async function until(done: () => boolean, maxTurns = 50_000): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    if (turn >= maxTurns) throw new Error(`condition not reached after ${maxTurns} turns`)
    await new Promise((r) => setImmediate(r))
  }
}

describe('durable subscriptions', () => {
  it('resumes after its checkpoint after close and reopen, delivering only what came after', async () => {
    const backend = memoryBackend()
    let store = await open(backend)
    await store.appendToStream('a', [ev(), ev(), ev()])
    const seen: string[] = []
    const sub = await store.subscribe('mailer', (e) => void seen.push(e.id))
    await until(() => seen.length === 3)
    await sub.stop()
    await sub.done
    expect(await store.getCheckpoint('mailer')).toEqual({ position: 3n, eventId: seen[2] })
    await store.appendToStream('a', [ev(), ev()])
    await store.close()

    store = await open(backend)
    const after: string[] = []
    const again = await store.subscribe('mailer', (e) => void after.push(e.id))
    await store.appendToStream('b', [ev()])
    const all = await readAllOf(store)
    await until(() => after.length === 3)
    expect([...seen, ...after]).toEqual(all.map((e) => e.id))
    await again.stop()
  })

  it('a handler that throws stops it with SUBSCRIPTION_DROPPED; the checkpoint stays before that event, which comes again', async () => {
    const store = await open()
    await store.appendToStream('a', [ev(), ev(), ev(), ev()])
    const all = await readAllOf(store)
    const boom = new Error('smtp down')
    const handled: string[] = []
    const sub = await store.subscribe('mailer', (e) => {
      if (e.id === all[2]!.id) throw boom
      handled.push(e.id)
    })
    await expect(sub.done).rejects.toMatchObject({ code: 'SUBSCRIPTION_DROPPED', cause: boom })
    expect(handled).toEqual([all[0]!.id, all[1]!.id])
    expect(await store.getCheckpoint('mailer')).toEqual({ position: all[1]!.position, eventId: all[1]!.id })

    // At-least-once: the failed event is the first one delivered on resubscribe.
    const redelivered: string[] = []
    const again = await store.subscribe('mailer', (e) => void redelivered.push(e.id))
    await until(() => redelivered.length === 2)
    expect(redelivered).toEqual([all[2]!.id, all[3]!.id])
    await again.stop()
  })

  it('stores the checkpoint every N events when asked (seen from inside the handler)', async () => {
    const store = await open()
    await store.appendToStream('a', Array.from({ length: 8 }, () => ev()))
    const all = await readAllOf(store)
    const checkpointAtEvent: (bigint | undefined)[] = []
    const sub = await store.subscribe(
      'every-3',
      async () => {
        checkpointAtEvent.push((await store.getCheckpoint('every-3'))?.position)
      },
      { checkpointEvery: { events: 3 } },
    )
    await until(() => checkpointAtEvent.length === 8)
    await sub.stop()
    const p = (i: number): bigint => all[i]!.position
    expect(checkpointAtEvent).toEqual([undefined, undefined, undefined, p(2), p(2), p(2), p(5), p(5)])
    expect((await store.getCheckpoint('every-3'))?.position).toBe(p(7))
  })

  it('refuses a checkpoint beyond the end of the log or naming another event: CHECKPOINT_MISMATCH, nothing delivered', async () => {
    const store = await open()
    await store.appendToStream('a', [ev(), ev()])
    const driver = storeInternals(store).driver
    let delivered = 0
    await driver.storeCheckpoint('beyond', { position: 99n, eventId: randomUUID() })
    await expect(store.subscribe('beyond', () => void delivered++)).rejects.toMatchObject({
      code: 'CHECKPOINT_MISMATCH',
      subscriptionId: 'beyond',
      checkpoint: { position: 99n },
    })
    await driver.storeCheckpoint('other-id', { position: 1n, eventId: randomUUID() })
    await expect(store.subscribe('other-id', () => void delivered++)).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' })
    expect(delivered).toBe(0)
    // The way out: reset it, to the start or to an event of the log (verified too).
    await expect(store.resetCheckpoint('other-id', { position: 5n, eventId: randomUUID() })).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' })
    const first = (await readAllOf(store))[0]!
    await store.resetCheckpoint('other-id', { position: first.position, eventId: first.id })
    const seen: RecordedEvent[] = []
    const sub = await store.subscribe('other-id', (e) => void seen.push(e))
    await until(() => seen.length === 1)
    expect(seen[0]!.position).toBe(2n)
    await sub.stop()
    await store.resetCheckpoint('other-id', 'start')
    expect(await store.getCheckpoint('other-id')).toBeUndefined()
  })

  it("from 'end' starts after the current last event and stores that place at once", async () => {
    const store = await open()
    await store.appendToStream('a', [ev(), ev()])
    const seen: string[] = []
    const sub = await store.subscribe('tail', (e) => void seen.push(e.type), { from: 'end' })
    expect(await store.getCheckpoint('tail')).toMatchObject({ position: 2n })
    await store.appendToStream('a', [ev('New')])
    await until(() => seen.length === 1)
    expect(seen).toEqual(['New'])
    await sub.stop()
  })

  it('delivers only what passes its filter', async () => {
    const store = await open()
    await store.appendToStream('order-1', [ev('Placed')])
    await store.appendToStream('user-1', [ev('Joined')])
    await store.appendToStream('order-2', [ev('Placed')])
    const seen: string[] = []
    const sub = await store.subscribe('orders', (e) => void seen.push(e.streamName), { filter: { streamNamePrefix: ['order-'] } })
    await until(() => seen.length === 2)
    expect(seen).toEqual(['order-1', 'order-2'])
    await sub.stop()
  })

  it('one runner per id; a running one cannot be reset; bad input is INVALID_ARGUMENT', async () => {
    const store = await open()
    const sub = await store.subscribe('only-one', () => undefined)
    await expect(store.subscribe('only-one', () => undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.resetCheckpoint('only-one', 'start')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await sub.stop()
    await expect(store.subscribe('', () => undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.subscribe('x', () => undefined, { from: 'middle' as 'start' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.subscribe('x', () => undefined, { checkpointEvery: {} })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.subscribe('x', () => undefined, { checkpointEvery: { events: 0 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('closing the store stores the checkpoint, then ends the subscription with SUBSCRIPTION_DROPPED (cause CLOSED)', async () => {
    const backend = memoryBackend()
    const store = await open(backend)
    await store.appendToStream('a', [ev(), ev(), ev()])
    let handled = 0
    const sub = await store.subscribe('closing', () => void handled++, { checkpointEvery: { events: 1000 } })
    await until(() => handled === 3)
    await store.close()
    await expect(sub.done).rejects.toMatchObject({ code: 'SUBSCRIPTION_DROPPED', cause: { code: 'CLOSED' } })
    const reopened = await open(backend)
    expect((await reopened.getCheckpoint('closing'))?.position).toBe(3n)
  })

  it('several durable subscriptions and live appends: each sees the whole log once, in order', async () => {
    const store = await open()
    const seen = new Map<string, string[]>()
    const subs = await Promise.all(
      ['a', 'b', 'c'].map((id) => {
        seen.set(id, [])
        return store.subscribe(id, (e) => void seen.get(id)!.push(e.id), id === 'b' ? { checkpointEvery: { events: 7 } } : {})
      }),
    )
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 100; i++) await store.appendToStream(`w-${w}`, [ev(), ev()])
      }),
    )
    const all = (await readAllOf(store)).map((e) => e.id)
    for (const [, list] of seen) await until(() => list.length === all.length)
    for (const [, list] of seen) expect(list).toEqual(all)
    for (const s of subs) await s.stop()
  })
})
