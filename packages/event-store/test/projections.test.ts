// Projections (defineProjection + store.project) on the memory backend: inline ones equal the
// fold of $all after every resolved append and after reopen (snapshot + tail), hand-over from the
// log to the commit hook under concurrent appends, rebuild while appends go on, version bumps;
// async ones: state + position as one snapshot (no event applied twice across restarts).
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { EventStore, memoryBackend, type EventData, type RecordedEvent } from '../src/index.js'
import type { EventStoreBackend } from '../src/driver.js'
import { storeInternals } from '../src/event-store.js'
import { defineProjection, type Projection } from '../src/projections/definition.js'
import { projectionKey } from '../src/projections/projection-snapshot.js'
import { slowReads } from './slow-reads.js'

const stores: EventStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined)
})

async function open(backend: EventStoreBackend = memoryBackend()): Promise<EventStore> {
  const store = await EventStore.open({ backend })
  stores.push(store)
  return store
}

const ev = (type: string, amount = 1): EventData => ({ id: randomUUID(), type, data: { amount } })

async function readAllOf(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const e of store.readAll()) out.push(e)
  return out
}

/** The state every test projection keeps: a sum and the ids applied, in order (to see duplicates). */
interface Totals {
  total: number
  ids: string[]
}

/** A projection that counts its evolve calls, so tests can see what was replayed. */
function totals(name: string, options: Partial<Projection<Totals>> = {}): { projection: Projection<Totals>; calls: { n: number } } {
  const calls = { n: 0 }
  const projection = defineProjection<Totals>({
    name,
    version: 1,
    initialState: () => ({ total: 0, ids: [] }),
    evolve: (state, e) => {
      calls.n++
      return { total: state.total + (e.data as { amount: number }).amount, ids: [...state.ids, e.id] }
    },
    ...options,
  })
  return { projection, calls }
}

/** The same fold, computed from the log. */
async function fold(store: EventStore, pass: (e: RecordedEvent) => boolean = () => true): Promise<Totals> {
  const all = (await readAllOf(store)).filter(pass)
  return { total: all.reduce((t, e) => t + (e.data as { amount: number }).amount, 0), ids: all.map((e) => e.id) }
}

/** Lets the event loop turn until `done()` holds; fails (instead of hanging) after `maxTurns`. */
async function until(done: () => boolean, maxTurns = 50_000): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    if (turn >= maxTurns) throw new Error(`condition not reached after ${maxTurns} turns`)
    await new Promise((r) => setImmediate(r))
  }
}

describe('inline projections', () => {
  it('equal the fold of $all after every resolved append, concurrent ones included', async () => {
    const store = await open()
    await store.appendToStream('a', [ev('In', 5)])
    const { projection } = totals('balance')
    const handle = await store.project(projection, { mode: 'inline' })
    expect(handle.state).toEqual(await fold(store))
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 20; i++) {
          await store.appendToStream(`w-${w}`, [ev('In', i), ev('In', 1)])
          // Right when this append resolved, its events are in the state.
          const last = handle.state.ids.at(-1)
          expect(handle.position).toBeDefined()
          expect(last).toBeDefined()
        }
      }),
    )
    expect(handle.state).toEqual(await fold(store))
    await store.multiStreamAppend([
      { streamName: 'x', events: [ev('In', 100)] },
      { streamName: 'y', events: [ev('In', 1000)] },
    ])
    expect(handle.state).toEqual(await fold(store))
  })

  it('have each resolved append in the state when it resolves', async () => {
    const store = await open()
    const { projection } = totals('sync')
    const handle = await store.project(projection, { mode: 'inline' })
    const events = [ev('In'), ev('In')]
    const pending = store.appendToStream('s', events)
    await pending
    expect(handle.state.ids.slice(-2)).toEqual(events.map((e) => e.id))
  })

  it('hand over from reading the log to the commit hook without a gap or a double, while appends go on', async () => {
    // Slow reads: appends are acknowledged while the projection is still reading the log.
    const store = await open(slowReads(memoryBackend()))
    for (let i = 0; i < 300; i++) await store.appendToStream(`pre-${i % 7}`, [ev('In', i)])
    const writers = Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 100; i++) await store.appendToStream(`w-${w}`, [ev('In', 1)])
      }),
    )
    const before = store.lastPosition
    const { projection } = totals('handover')
    const handle = await store.project(projection, { mode: 'inline' })
    // Appends were acknowledged during the catch-up (else this test would not test the hand-over).
    expect(store.lastPosition! - before!).toBeGreaterThan(0n)
    await writers
    expect(handle.state).toEqual(await fold(store))
  })

  it('after reopen equal the same fold, from their snapshot plus the tail (not a full replay)', async () => {
    const backend = memoryBackend()
    let store = await open(backend)
    const first = totals('persisted', { persist: { every: { events: 10 } } })
    await store.project(first.projection, { mode: 'inline' })
    for (let i = 0; i < 95; i++) await store.appendToStream(`s-${i % 3}`, [ev('In', i)])
    await store.close()
    store = await open(backend)
    await store.appendToStream('later', [ev('In', 7)])
    const second = totals('persisted', { persist: { every: { events: 10 } } })
    const handle = await store.project(second.projection, { mode: 'inline' })
    expect(handle.state).toEqual(await fold(store))
    // The close saved the state at event 95: only the one event after it was replayed.
    expect(second.calls.n).toBe(1)
  })

  it('a version bump ignores the old snapshot and rebuilds from the start', async () => {
    const backend = memoryBackend()
    let store = await open(backend)
    await store.project(totals('versioned').projection, { mode: 'inline' })
    for (let i = 0; i < 20; i++) await store.appendToStream('s', [ev('In', 1)])
    await store.close()
    store = await open(backend)
    const v2 = totals('versioned', { version: 2 })
    const handle = await store.project(v2.projection, { mode: 'inline' })
    expect(v2.calls.n).toBe(20)
    expect(handle.state).toEqual(await fold(store))
  })

  it('a snapshot whose event is no longer at its position is not used', async () => {
    const store = await open()
    for (let i = 0; i < 5; i++) await store.appendToStream('s', [ev('In', 1)])
    // A snapshot from another history: same position, another event id, a wrong total.
    await storeInternals(store).driver.saveSnapshot(projectionKey('foreign'), {
      position: 5n,
      schemaVersion: 1,
      state: { eventId: randomUUID(), state: { total: 999, ids: [] } },
    })
    const p = totals('foreign')
    const handle = await store.project(p.projection, { mode: 'inline' })
    expect(handle.state).toEqual(await fold(store))
    expect(p.calls.n).toBe(5)
  })

  it('rebuild while appends continue ends equal to the fold', async () => {
    const store = await open(slowReads(memoryBackend()))
    for (let i = 0; i < 400; i++) await store.appendToStream(`s-${i % 5}`, [ev('In', i % 13)])
    const { projection } = totals('rebuilt')
    const handle = await store.project(projection, { mode: 'inline' })
    let writing = true
    const writers = Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; writing || i < 50; i++) await store.appendToStream(`w-${w}`, [ev('In', 3)])
      }),
    )
    await handle.rebuild()
    writing = false
    await writers
    expect(handle.state).toEqual(await fold(store))
  })

  it('apply only what passes the filter', async () => {
    const store = await open()
    const { projection } = totals('orders-only', { filter: { streamNamePrefix: ['order-'] } })
    const handle = await store.project(projection, { mode: 'inline' })
    await store.appendToStream('order-1', [ev('In', 2)])
    await store.appendToStream('user-1', [ev('In', 50)])
    await store.setStreamMetadata('order-1', { maxCount: 3 })
    await store.appendToStream('order-2', [ev('In', 3)])
    expect(handle.state).toEqual(await fold(store, (e) => e.streamName.startsWith('order-')))
  })

  it('an evolve that throws stops the projection; the append still resolves (its commit is durable)', async () => {
    const store = await open()
    const boom = new Error('bad event')
    const handle = await store.project(
      defineProjection({
        name: 'fragile',
        version: 1,
        initialState: () => 0,
        evolve: (n: number, e) => {
          if (e.type === 'Poison') throw boom
          return n + 1
        },
      }),
      { mode: 'inline' },
    )
    await store.appendToStream('s', [ev('Ok')])
    const r = await store.appendToStream('s', [ev('Ok'), ev('Poison'), ev('Ok')])
    expect(r.nextExpectedRevision).toBe(3)
    expect(handle.running).toBe(false)
    expect(handle.error).toBe(boom)
    expect(handle.state).toBe(2)
    await expect(handle.catchUp()).rejects.toMatchObject({ code: 'SUBSCRIPTION_DROPPED', cause: boom })
    // Its name is free again.
    await expect(store.project(totals('fragile').projection, { mode: 'inline' })).resolves.toBeDefined()
  })
})

describe('async projections', () => {
  it('catch up to the fold, follow live appends, and save state + position as one snapshot', async () => {
    const store = await open()
    for (let i = 0; i < 300; i++) await store.appendToStream(`s-${i % 4}`, [ev('In', i)])
    const { projection } = totals('async-balance')
    const handle = await store.project(projection, { mode: 'async' })
    await handle.catchUp()
    expect(handle.state).toEqual(await fold(store))
    await store.appendToStream('s-0', [ev('In', 42)])
    await handle.catchUp()
    expect(handle.state).toEqual(await fold(store))
    await handle.stop()
    const snap = await storeInternals(store).driver.loadSnapshot(projectionKey('async-balance'))
    expect(snap?.position).toBe(handle.position)
    expect((snap?.state as { state: Totals }).state).toEqual(handle.state)
  })

  it('restarted after stops at random points, never apply an event twice and end equal to the fold', async () => {
    const backend = memoryBackend()
    let store = await open(backend)
    for (let round = 0; round < 5; round++) {
      const { projection } = totals('restarts', { persist: { every: { events: 7 } } })
      const roundStart = store.lastPosition ?? 0n
      const handle = await store.project(projection, { mode: 'async' })
      const writers = Promise.all(
        Array.from({ length: 3 }, async (_, w) => {
          for (let i = 0; i < 40; i++) await store.appendToStream(`w-${w}`, [ev('In', 1)])
        }),
      )
      // Stop somewhere in the middle of the writes (the projection's own pace decides where).
      await until(() => (handle.position ?? 0n) >= roundStart + 30n)
      await store.close()
      await writers.catch(() => undefined)
      store = await open(backend)
    }
    const { projection } = totals('restarts')
    const handle = await store.project(projection, { mode: 'async' })
    await handle.catchUp()
    const ids = handle.state.ids
    expect(new Set(ids).size).toBe(ids.length)
    expect(handle.state).toEqual(await fold(store))
  })

  it('rebuild while appends continue ends equal to the fold', async () => {
    const store = await open()
    for (let i = 0; i < 300; i++) await store.appendToStream(`s-${i % 5}`, [ev('In', i % 11)])
    const { projection } = totals('async-rebuilt')
    const handle = await store.project(projection, { mode: 'async' })
    await handle.catchUp()
    let writing = true
    const writers = Promise.all(
      Array.from({ length: 3 }, async (_, w) => {
        for (let i = 0; writing || i < 30; i++) await store.appendToStream(`w-${w}`, [ev('In', 2)])
      }),
    )
    await handle.rebuild()
    writing = false
    await writers
    await handle.catchUp()
    expect(handle.state).toEqual(await fold(store))
  })

  it('an evolve that throws stops it, keeping state and snapshot at the event before', async () => {
    const store = await open()
    await store.appendToStream('s', [ev('Ok'), ev('Ok'), ev('Poison'), ev('Ok')])
    const all = await readAllOf(store)
    const boom = new Error('bad event')
    const handle = await store.project(
      defineProjection({
        name: 'fragile-async',
        version: 1,
        initialState: () => 0,
        evolve: (n: number, e) => {
          if (e.type === 'Poison') throw boom
          return n + 1
        },
      }),
      { mode: 'async' },
    )
    await expect(handle.catchUp()).rejects.toMatchObject({ code: 'SUBSCRIPTION_DROPPED', cause: boom })
    expect(handle.error).toBe(boom)
    expect(handle.state).toBe(2)
    expect(handle.position).toBe(all[1]!.position)
    const snap = await storeInternals(store).driver.loadSnapshot(projectionKey('fragile-async'))
    expect(snap?.position).toBe(all[1]!.position)
  })
})

describe('defineProjection and project', () => {
  it('refuse bad definitions, modes and a second projection of a running name', async () => {
    const store = await open()
    const ok = totals('dup').projection
    const bad = (p: Partial<Projection<number>>): unknown => () =>
      defineProjection({ name: 'p', version: 1, initialState: () => 0, evolve: (s: number) => s, ...p })
    for (const p of [{ name: '' }, { version: -1 }, { version: 1.5 }, { evolve: 'x' as unknown as () => number }, { persist: { every: {} } }]) {
      expect(bad(p)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error)
    }
    await expect(store.project(ok, { mode: 'lazy' as 'inline' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const handle = await store.project(ok, { mode: 'inline' })
    await expect(store.project(ok, { mode: 'async' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await handle.stop()
    await (await store.project(ok, { mode: 'async' })).stop()
  })
})
