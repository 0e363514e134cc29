import { randomUUID } from 'node:crypto'
import { deepEqual, equal, ok } from 'node:assert/strict'
import type { EventStore } from '../../event-store.js'
import { defineProjection, type Projection } from '../../projections/definition.js'
import type { RecordedEvent } from '../../types.js'
import { events, readAllEvents, streamName } from '../assertions.js'
import type { EventStoreConformanceCase } from '../harness.js'

const group = 'projections'

/** The state of the cases' projection: the ids applied, in order, and a sum. */
interface Tally {
  readonly ids: readonly string[]
  readonly sum: number
}

const amount = (e: RecordedEvent): number => ((e.data as { n?: unknown } | null)?.n as number | undefined) ?? 0

/** A projection of the events of streams starting with `prefix` (so cases never see each other's). */
function tally(name: string, prefix: string, options: { version?: number; persistEvery?: number } = {}): Projection<Tally> {
  return defineProjection<Tally>({
    name,
    version: options.version ?? 1,
    initialState: () => ({ ids: [], sum: 0 }),
    evolve: (s, e) => ({ ids: [...s.ids, e.id], sum: s.sum + amount(e) }),
    filter: { streamNamePrefix: [prefix] },
    ...(options.persistEvery === undefined ? {} : { persist: { every: { events: options.persistEvery } } }),
  })
}

/** The same fold, computed from `$all`. */
async function foldOf(store: EventStore, prefix: string): Promise<Tally> {
  const all = (await readAllEvents(store)).filter((e) => e.streamName.startsWith(prefix))
  return { ids: all.map((e) => e.id), sum: all.reduce((t, e) => t + amount(e), 0) }
}

const noDuplicates = (state: Tally): void => equal(new Set(state.ids).size, state.ids.length, 'an event was applied twice')

/** Cases 29–31 of EVENT-STORE.md (d): projections. */
export const projectionCases: readonly EventStoreConformanceCase[] = [
  {
    group,
    name: '29. an inline projection equals the fold of $all after every resolved append, and after reopen (snapshot + tail)',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const prefix = `p29-${randomUUID().slice(0, 8)}-`
      const name = `inline-${randomUUID()}`
      const handle = await store.project(tally(name, prefix, { persistEvery: 5 }), { mode: 'inline' })
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 8; i++) {
            const batch = events(1 + (i % 2), 'In', i)
            await store.appendToStream(`${prefix}${w}`, batch)
            // The moment this append resolves, its events are in the state.
            for (const e of batch) ok(handle.state.ids.includes(e.id!), 'an append resolved before the inline projection had its events')
          }
        }),
      )
      await store.appendToStream(streamName('other'), events(3))
      deepEqual(handle.state, await foldOf(store, prefix))
      store = await ctx.reopen()
      await store.appendToStream(`${prefix}late`, events(2, 'In', 100))
      const reopened = await store.project(tally(name, prefix, { persistEvery: 5 }), { mode: 'inline' })
      deepEqual(reopened.state, await foldOf(store, prefix))
      noDuplicates(reopened.state)
    },
  },
  {
    group,
    name: '30. an async projection killed mid-run: after reopen its state equals the fold, no event applied twice',
    requires: ['crash'],
    async run(ctx) {
      let store = await ctx.open()
      const prefix = `p30-${randomUUID().slice(0, 8)}-`
      const name = `async-${randomUUID()}`
      for (let i = 0; i < 30; i++) await store.appendToStream(`${prefix}${i % 3}`, events(2, 'In', i))
      const handle = await store.project(tally(name, prefix, { persistEvery: 4 }), { mode: 'async' })
      const writing = Promise.all(
        Array.from({ length: 3 }, async (_, w) => {
          for (let i = 0; i < 20; i++) await store.appendToStream(`${prefix}w${w}`, events(1, 'In', i)).catch(() => undefined)
        }),
      )
      await handle.catchUp()
      // Power loss while the projection and the writers are still running.
      store = await ctx.crash()
      await writing
      const after = await store.project(tally(name, prefix, { persistEvery: 4 }), { mode: 'async' })
      await after.catchUp()
      noDuplicates(after.state)
      deepEqual(after.state, await foldOf(store, prefix))
      await after.stop()
    },
  },
  {
    group,
    name: '30. an async projection stopped and restarted many times applies no event twice and ends equal to the fold',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const prefix = `p30r-${randomUUID().slice(0, 8)}-`
      const name = `async-${randomUUID()}`
      for (let round = 0; round < 4; round++) {
        const handle = await store.project(tally(name, prefix, { persistEvery: 3 }), { mode: 'async' })
        const writing = Promise.all(
          Array.from({ length: 2 }, async (_, w) => {
            for (let i = 0; i < 15; i++) await store.appendToStream(`${prefix}${w}`, events(1, 'In', i)).catch(() => undefined)
          }),
        )
        if (round % 2 === 0) await handle.catchUp()
        store = await ctx.reopen()
        await writing
      }
      const last = await store.project(tally(name, prefix, { persistEvery: 3 }), { mode: 'async' })
      await last.catchUp()
      noDuplicates(last.state)
      deepEqual(last.state, await foldOf(store, prefix))
      await last.stop()
    },
  },
  {
    group,
    name: '31. a projection version bump rebuilds from the start; rebuild while appends continue ends equal to the fold',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const prefix = `p31-${randomUUID().slice(0, 8)}-`
      const name = `versioned-${randomUUID()}`
      await store.project(tally(name, prefix, { persistEvery: 1 }), { mode: 'inline' })
      for (let i = 0; i < 10; i++) await store.appendToStream(`${prefix}a`, events(1, 'In', i))
      store = await ctx.reopen()
      let applied = 0
      const counted = tally(name, prefix, { version: 2 })
      const countingEvolve = (s: Tally, e: RecordedEvent): Tally => {
        applied++
        return counted.evolve(s, e)
      }
      const v2 = await store.project({ ...counted, evolve: countingEvolve }, { mode: 'inline' })
      equal(applied, 10, 'a new version replays every event')
      deepEqual(v2.state, await foldOf(store, prefix))

      const asyncHandle = await store.project(tally(`${name}-async`, prefix), { mode: 'async' })
      await asyncHandle.catchUp()
      let writing = true
      const writers = Promise.all(
        Array.from({ length: 3 }, async (_, w) => {
          for (let i = 0; writing || i < 10; i++) await store.appendToStream(`${prefix}w${w}`, events(1, 'In', i))
        }),
      )
      await Promise.all([v2.rebuild(), asyncHandle.rebuild()])
      writing = false
      await writers
      await asyncHandle.catchUp()
      const expected = await foldOf(store, prefix)
      deepEqual(v2.state, expected, 'inline rebuild')
      deepEqual(asyncHandle.state, expected, 'async rebuild')
      await asyncHandle.stop()
    },
  },
]
