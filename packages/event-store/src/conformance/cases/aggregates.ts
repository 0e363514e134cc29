import { randomUUID } from 'node:crypto'
import { deepEqual, equal, ok } from 'node:assert/strict'
import { CommandHandler } from '../../command-handler.js'
import { aggregateKey } from '../../aggregate/aggregate-stream.js'
import { storeInternals, type EventStore } from '../../event-store.js'
import type { RecordedEvent } from '../../types.js'
import { collect, events, rejectsWithCode, streamName } from '../assertions.js'
import type { EventStoreConformanceCase } from '../harness.js'

const group = 'aggregates'

interface Sum {
  readonly total: number
  readonly revisions: readonly number[]
}
const initialState = (): Sum => ({ total: 0, revisions: [] })
const evolve = (s: Sum, e: RecordedEvent): Sum => ({ total: s.total + ((e.data as { n: number }).n), revisions: [...s.revisions, e.revision] })

async function foldOf(store: EventStore, name: string): Promise<Sum> {
  return (await collect(store.readStream(name))).reduce(evolve, initialState())
}

/**
 * Loads `name` with snapshots every `every` events until a load reports `fromSnapshot` (the
 * save runs in the background after a load; the next load finds it). Fails if none appears.
 */
async function loadUntilSnapshot(store: EventStore, name: string, schemaVersion = 1): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await store.aggregateStream(name, { initialState, evolve, snapshot: { every: 1, schemaVersion } })
    if (r.fromSnapshot !== undefined) return r.fromSnapshot
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  throw new Error('no snapshot was ever used: saves after loads do not work')
}

/** Cases 32–36 of EVENT-STORE.md (d): aggregates, snapshots, the command handler. */
export const aggregateCases: readonly EventStoreConformanceCase[] = [
  {
    group,
    name: '32. aggregateStream equals a fold of readStream, with and without snapshots every k events',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('acc')
      deepEqual(await store.aggregateStream(name, { initialState, evolve }), {
        state: initialState(),
        currentRevision: 'no_stream',
        streamExists: false,
        fromSnapshot: undefined,
      })
      for (let round = 0; round < 6; round++) {
        await store.appendToStream(name, events(1 + round, 'In', round * 10))
        const expected = await foldOf(store, name)
        for (const every of [undefined, 1, 2, 5]) {
          const r = await store.aggregateStream(name, { initialState, evolve, ...(every === undefined ? {} : { snapshot: { every, schemaVersion: 1 } }) })
          deepEqual(r.state, expected, `every ${every}`)
          equal(r.currentRevision, expected.revisions.at(-1))
          equal(r.streamExists, true)
        }
      }
      ok((await loadUntilSnapshot(store, name)) >= 0)
      deepEqual((await store.aggregateStream(name, { initialState, evolve, snapshot: { every: 1, schemaVersion: 1 } })).state, await foldOf(store, name))
    },
  },
  {
    group,
    name: '33. a snapshot with an older schemaVersion and no upgrade is ignored: replay, correct state',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('acc')
      await store.appendToStream(name, events(6, 'In', 1))
      await loadUntilSnapshot(store, name, 1)
      const r = await store.aggregateStream(name, { initialState, evolve, snapshot: { every: 100, schemaVersion: 2 } })
      equal(r.fromSnapshot, undefined, 'a v1 snapshot used by a v2 load')
      deepEqual(r.state, await foldOf(store, name))
      const upgraded = await store.aggregateStream(name, {
        initialState,
        evolve,
        snapshot: { every: 100, schemaVersion: 3, upgrade: (state) => ({ ...(state as Sum) }) },
      })
      deepEqual(upgraded.state, await foldOf(store, name))
    },
  },
  {
    group,
    name: '34. a damaged snapshot is ignored: correct state',
    requires: ['reopen'],
    async run(ctx) {
      let store = await ctx.open()
      const name = streamName('acc')
      await store.appendToStream(name, events(4, 'In', 1))
      const last = (await collect(store.readStream(name))).at(-1)!
      const sum = { total: 999, revisions: [] }
      const damaged: { position: bigint; state: unknown }[] = [
        { position: 3n, state: null },
        { position: 3n, state: 'garbage' },
        { position: 3n, state: { state: sum } },
        { position: 3n, state: { state: sum, eventId: 42, firstRevision: 0 } },
        { position: 3n, state: { state: sum, eventId: last.id, firstRevision: 7 } },
        { position: 3n, state: { state: sum, eventId: randomUUID(), firstRevision: 0 } },
        { position: 1000n, state: { state: sum, eventId: last.id, firstRevision: 0 } },
      ]
      for (const { position, state } of damaged) {
        // Written while no load is in flight, found by a store that never saw a good one.
        store = await ctx.reopen()
        await storeInternals(store).driver.saveSnapshot(aggregateKey(name), { position, schemaVersion: 1, state })
        store = await ctx.reopen()
        const r = await store.aggregateStream(name, { initialState, evolve, snapshot: { every: 100, schemaVersion: 1 } })
        equal(r.fromSnapshot, undefined, `damaged snapshot used: ${JSON.stringify(state)}`)
        deepEqual(r.state, await foldOf(store, name))
      }
    },
  },
  {
    group,
    name: '35. a stream soft-deleted and recreated does not use its old snapshot',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('acc')
      await store.appendToStream(name, events(5, 'In', 10))
      await loadUntilSnapshot(store, name)
      await store.deleteStream(name)
      await store.appendToStream(name, events(1, 'In', 1))
      const r = await store.aggregateStream(name, { initialState, evolve, snapshot: { every: 100, schemaVersion: 1 } })
      equal(r.fromSnapshot, undefined)
      deepEqual(r.state, { total: 1, revisions: [5] })
      deepEqual(r.state, await foldOf(store, name))
    },
  },
  {
    group,
    name: '36. CommandHandler retries on WRONG_EXPECTED_VERSION up to maxRetries, then surfaces it',
    async run(ctx) {
      const store = await ctx.open()
      const name = streamName('cmd')
      const handle = CommandHandler<Sum>({ initialState, evolve: (s, e) => ({ total: s.total + (e.data as { n: number }).n, revisions: s.revisions }), maxRetries: 2 })
      let interfere = 2
      let decisions = 0
      const ok2 = await handle(store, name, async () => {
        decisions++
        if (interfere-- > 0) await store.appendToStream(name, events(1, 'In', 0))
        return { type: 'In', data: { n: 1 } }
      })
      equal(decisions, 3, 'two conflicts, then success')
      equal(ok2.nextExpectedRevision, 2)
      decisions = 0
      const error = await rejectsWithCode(
        handle(store, name, async () => {
          decisions++
          await store.appendToStream(name, events(1, 'In', 0))
          return { type: 'In', data: { n: 1 } }
        }),
        'WRONG_EXPECTED_VERSION',
      )
      equal(error.streamName, name)
      equal(decisions, 3, '1 attempt + maxRetries retries')
      equal((await collect(store.readStream(name))).filter((e) => (e.data as { n: number }).n === 1).length, 1, 'nothing of the failed command written')
    },
  },
]
