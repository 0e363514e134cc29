// Crash properties of the event store on each embedded backend (EVENT-STORE.md (d) 40, 41, 17):
// concurrent appends, multi-stream appends and stream commands, the power cut at a random
// moment (appends still in flight), then recovery through the facade.
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, crashDuringRecovery, fc, propertyRuns } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { EventStore } from '../src/event-store.js'
import type { RecordedEvent } from '../src/types.js'
import { backendFor, type BackendName } from './parts.js'
import { arbWaves, checkAppends, checkLogShape, digest, readEverything, runWaves, submit } from './store-workload.js'

const CASES: { name: BackendName; pessimistic: boolean; sync: 'always' | 'none'; runs: number }[] = [
  { name: 'wal', pessimistic: false, sync: 'always', runs: 25 },
  { name: 'wal', pessimistic: true, sync: 'always', runs: 25 },
  { name: 'wal', pessimistic: true, sync: 'none', runs: 10 },
  { name: 'ndjson', pessimistic: false, sync: 'always', runs: 25 },
  { name: 'ndjson', pessimistic: true, sync: 'always', runs: 25 },
  { name: 'ndjson', pessimistic: true, sync: 'none', runs: 10 },
  { name: 'record-keeper', pessimistic: false, sync: 'always', runs: 15 },
  { name: 'record-keeper', pessimistic: true, sync: 'always', runs: 15 },
]

describe.each(CASES)('event store crash: $name (pessimistic: $pessimistic, sync: $sync)', ({ name, pessimistic, sync, runs }) => {
  const open = (fs: FileSystem): Promise<EventStore> => EventStore.open({ backend: backendFor(name, fs, { sync, segmentBytes: 2048 }) })

  it('acknowledged appends whole, unacknowledged whole or absent, positions and revisions contiguous, the id index agrees with the log, recovery idempotent', async () => {
    await checkProperty(
      fc.asyncProperty(arbWaves, fc.nat(1_000_000), arbSeed(), fc.nat(120), arbSeed(), async (waves, haltAt, seed, recoveryHalt, recoverySeed) => {
        // A dry run counts the workload's operations, so the power cut lands inside it.
        const dry = new SimFileSystem({ pessimistic })
        const dryStore = await open(dry)
        const before = dry.opCount
        await dryStore.subscribe('audit', () => undefined, { checkpointEvery: { events: 1 } })
        await runWaves(dryStore, waves)
        await dryStore.close()
        const sim = new SimFileSystem({ pessimistic })
        const store = await open(sim)
        sim.haltAfter(haltAt % (dry.opCount - before + 1))
        // A durable subscription runs along, storing its checkpoint after every event.
        const delivered: RecordedEvent[] = []
        await store
          .subscribe('audit', (e) => void delivered.push(e), { checkpointEvery: { events: 1 } })
          .then((sub) => void sub.done.catch(() => undefined))
          .catch(() => undefined)
        const issued = await runWaves(store, waves)
        const image = sim.crash(seed)
        // Delivered in position order, each once.
        for (let i = 1; i < delivered.length; i++) expect(delivered[i]!.position).toBeGreaterThan(delivered[i - 1]!.position)

        const { once, twice } = await crashDuringRecovery(
          image,
          async (fs) => {
            const s = await open(fs)
            try {
              return await digest(s)
            } finally {
              await s.close()
            }
          },
          { seed: recoverySeed, haltAfterOps: recoveryHalt },
        )
        expect(twice).toEqual(once)

        const recovered = await open(image)
        const log = await readEverything(recovered)
        const byId = checkLogShape(log, issued)
        expect(await digest(recovered)).toEqual(once)
        // A subscriber never saw an event the crash lost (it is fed only durable events).
        if (sync === 'always') for (const e of delivered) expect(byId.get(e.id)?.position).toBe(e.position)
        // Its checkpoint is never ahead of the log: it names an event that is there. Under
        // sync 'none' one that is not is CHECKPOINT_MISMATCH on resume, never a silent skip.
        const checkpoint = await recovered.getCheckpoint('audit')
        const matches = checkpoint === undefined || log[Number(checkpoint.position) - 1]?.id === checkpoint.eventId
        if (sync === 'always') expect(matches).toBe(true)
        if (matches) {
          const resumed: RecordedEvent[] = []
          const sub = await recovered.subscribe('audit', (e) => void resumed.push(e))
          const expected = log.filter((e) => !e.streamName.startsWith('$') && e.position > (checkpoint?.position ?? 0n))
          for (let turns = 0; resumed.length < expected.length && turns < 10_000; turns++) await new Promise((r) => setImmediate(r))
          await sub.stop()
          expect(resumed.map((e) => e.id)).toEqual(expected.map((e) => e.id))
        } else {
          await expect(recovered.subscribe('audit', () => undefined)).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' })
        }
        const { present, absent } = checkAppends(byId, issued, { durable: sync === 'always', resultsHold: true })
        // The id index agrees with the log: retrying a stored append (same ids) is an idempotent
        // replay with the original positions; retrying a lost one writes it.
        for (const op of present) {
          const results = await submit(recovered, op, 'any')
          for (const r of results) expect(r.idempotentReplay).toBe(true)
          const lastIds = op.requests.map((r) => r.events.at(-1)!.id)
          expect(results.map((r) => r.position)).toEqual(lastIds.map((id) => byId.get(id!)!.position))
        }
        for (const op of absent) {
          for (const r of await submit(recovered, op, 'any')) expect(r.idempotentReplay).toBe(false)
        }
        // Progress: after the retries every issued append is there exactly once, positions still 1..n.
        const after = await readEverything(recovered)
        const finalById = checkLogShape(after, issued)
        // (Under sync 'none' a lost commit's positions were given again: old results no longer hold.)
        expect(checkAppends(finalById, issued, { durable: true, resultsHold: sync === 'always' }).absent).toEqual([])
        const last = after.at(-1)?.position ?? 0n
        expect((await recovered.appendToStream('after', [{ type: 'Later', data: {} }])).position).toBe(last + 1n)
        await recovered.close()
      }),
      { numRuns: propertyRuns(runs) },
    )
  })
})
