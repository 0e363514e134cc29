// Crash properties of projections on each embedded backend (EVENT-STORE.md (d) 29, 30): an async
// and an inline projection run while writers append; the power goes out at a random operation
// (appends, snapshot saves and reads in flight); after recovery, both projections restart from
// their snapshots and must equal the fold of the recovered log, with no event applied twice.
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { EventStore } from '../src/event-store.js'
import { defineProjection, type Projection } from '../src/projections/definition.js'
import type { RecordedEvent } from '../src/types.js'
import { backendFor, type BackendName } from './parts.js'

const CASES: { name: BackendName; pessimistic: boolean; runs: number }[] = [
  { name: 'wal', pessimistic: false, runs: 15 },
  { name: 'wal', pessimistic: true, runs: 15 },
  { name: 'ndjson', pessimistic: true, runs: 10 },
  { name: 'record-keeper', pessimistic: true, runs: 8 },
]

interface Tally {
  readonly ids: readonly string[]
  readonly sum: number
}

const tally = (name: string, persistEvery: number): Projection<Tally> =>
  defineProjection<Tally>({
    name,
    version: 1,
    initialState: () => ({ ids: [], sum: 0 }),
    evolve: (s, e) => ({ ids: [...s.ids, e.id], sum: s.sum + (e.data as { n: number }).n }),
    persist: { every: { events: persistEvery } },
  })

/** Writers: each wave is a set of concurrent single-stream appends of 1..3 events. */
const arbWaves = fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 6 }), {
  minLength: 1,
  maxLength: 5,
})

async function runWaves(store: EventStore, waves: readonly (readonly (readonly [number, number])[])[]): Promise<void> {
  let n = 0
  for (const wave of waves) {
    await Promise.allSettled(
      wave.map(([stream, count]) =>
        store.appendToStream(
          `acc-${stream}`,
          Array.from({ length: count }, () => ({ type: 'In', data: { n: ++n } })),
        ),
      ),
    )
  }
}

async function foldOf(store: EventStore): Promise<Tally> {
  const all: RecordedEvent[] = []
  for await (const e of store.readAll()) all.push(e)
  return { ids: all.map((e) => e.id), sum: all.reduce((t, e) => t + (e.data as { n: number }).n, 0) }
}

describe.each(CASES)('projections crash: $name (pessimistic: $pessimistic)', ({ name, pessimistic, runs }) => {
  const open = (fs: FileSystem): Promise<EventStore> => EventStore.open({ backend: backendFor(name, fs, { segmentBytes: 2048 }) })

  it('after a power cut at any operation, async and inline projections restart from their snapshots equal to the fold, no event applied twice', async () => {
    await checkProperty(
      fc.asyncProperty(arbWaves, fc.integer({ min: 1, max: 4 }), fc.nat(1_000_000), arbSeed(), async (waves, persistEvery, haltAt, seed) => {
        // A dry run counts the workload's operations, so the power cut lands inside it.
        const dry = new SimFileSystem({ pessimistic })
        const dryStore = await open(dry)
        const before = dry.opCount
        const dryAsync = await dryStore.project(tally('async', persistEvery), { mode: 'async' })
        await dryStore.project(tally('inline', persistEvery), { mode: 'inline' })
        await runWaves(dryStore, waves)
        await dryAsync.catchUp()
        await dryStore.close()
        const budget = dry.opCount - before + 1

        const sim = new SimFileSystem({ pessimistic })
        const store = await open(sim)
        sim.haltAfter(haltAt % budget)
        try {
          const asyncHandle = await store.project(tally('async', persistEvery), { mode: 'async' })
          await store.project(tally('inline', persistEvery), { mode: 'inline' })
          await runWaves(store, waves)
          await asyncHandle.catchUp()
        } catch {
          // cut off by the power loss: expected
        }
        const image = sim.crash(seed)
        await store.close().catch(() => undefined)

        const recovered = await open(image)
        try {
          const expected = await foldOf(recovered)
          const asyncAfter = await recovered.project(tally('async', persistEvery), { mode: 'async' })
          await asyncAfter.catchUp()
          const inlineAfter = await recovered.project(tally('inline', persistEvery), { mode: 'inline' })
          for (const state of [asyncAfter.state, inlineAfter.state]) {
            expect(new Set(state.ids).size).toBe(state.ids.length)
            expect(state).toEqual(expected)
          }
          // And they go on: a new append reaches both.
          await recovered.appendToStream('acc-0', [{ type: 'In', data: { n: 1000 } }])
          await asyncAfter.catchUp()
          expect(asyncAfter.state).toEqual(await foldOf(recovered))
          expect(inlineAfter.state).toEqual(await foldOf(recovered))
        } finally {
          await recovered.close()
        }
      }),
      { numRuns: propertyRuns(runs) },
    )
  })
})
