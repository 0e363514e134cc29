import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, crashDuringRecovery, crashImage, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { RecordKeeper, type RecordKeeperEvent } from '../src/index.js'

const DIR = '/store'

/** An event with varied JSON: nested values, unicode, Dates (which jsonCodec round-trips). */
const arbEvent = fc.record({
  id: fc.uuid({ version: 4 }),
  kind: fc.constantFrom('deposit', 'withdrawal', 'transfer', 'note'),
  amount: fc.integer({ min: -1_000_000, max: 1_000_000 }),
  text: fc.string({ unit: 'grapheme', maxLength: 40 }),
  when: fc.date({ min: new Date(0), max: new Date(4_000_000_000_000), noInvalidDate: true }),
  tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  // Some events are big enough to span several 512-byte sectors (tearing matters there).
  pad: fc.oneof(fc.constant(''), fc.string({ minLength: 600, maxLength: 1500 })),
})

/** Bursts of concurrent adds, run one burst after the other. */
const arbWorkload = fc
  .array(fc.array(arbEvent, { minLength: 1, maxLength: 7 }), { minLength: 1, maxLength: 5 })
  .map((bursts) => {
    // Ids must be unique across the workload (fast-check may repeat them).
    const seen = new Set<string>()
    return bursts
      .map((burst) => burst.filter((e) => !seen.has(e.id) && seen.add(e.id)))
      .filter((burst) => burst.length > 0)
  })

async function walk(rk: RecordKeeper): Promise<RecordKeeperEvent[]> {
  const out: RecordKeeperEvent[] = []
  for await (const event of rk.events()) out.push(event)
  return out
}

interface Run {
  readonly calls: RecordKeeperEvent[]
  readonly acked: Set<string>
}

/** Runs the bursts on `fs`; records every add issued (in call order) and every add acknowledged. */
function workload(bursts: readonly (readonly RecordKeeperEvent[])[], run: Run): (fs: FileSystem) => Promise<void> {
  return async (fs) => {
    const rk = await RecordKeeper.open(DIR, { fs })
    for (const burst of bursts) {
      run.calls.push(...burst)
      const { rejected } = await settle(burst.map((e) => rk.add(e).then(() => run.acked.add(e.id))))
      if (rejected.length > 0) break
    }
    await rk.close()
  }
}

async function checkRecovered(image: FileSystem, run: Run): Promise<void> {
  const rk = await RecordKeeper.open(DIR, { fs: image })
  const walked = await walk(rk)
  // The history is a prefix of the adds in call order (groups are whole: all or none)...
  expect(walked).toEqual(run.calls.slice(0, walked.length))
  // ...that holds every acknowledged add.
  const onChain = new Set(walked.map((e) => e.id))
  for (const id of run.acked) expect(onChain.has(id)).toBe(true)
  expect(await rk.tail()).toBe(walked.at(-1)?.id ?? null)
  expect(await rk.next()).toBe(walked[0]?.id ?? null)
  for (const event of walked) expect(await rk.read(event.id)).toEqual(event)
  // Recovery left nothing behind: no orphans, no temp files, a fresh tail file.
  const report = await rk.verify()
  expect(report).toMatchObject({ ok: true, events: walked.length })
  // Progress: lost adds (whose files may have been orphans) can be added again, and the chain grows.
  const lost = run.calls.slice(walked.length)
  await Promise.all(lost.map((e) => rk.add(e)))
  const extra = { id: '00000000-0000-4000-8000-000000000000', kind: 'after-recovery' }
  await rk.add(extra)
  expect(await walk(rk)).toEqual([...run.calls, extra])
  await rk.close()
  const again = await RecordKeeper.open(DIR, { fs: image })
  expect(await again.tail()).toBe(extra.id)
  await again.close()
}

describe('RecordKeeper crash safety', () => {
  for (const pessimistic of [false, true]) {
    it(`keeps exactly the acknowledged history across a crash (${pessimistic ? 'pessimistic' : 'normal'} disk)`, async () => {
      await checkProperty(
        fc.asyncProperty(arbWorkload, fc.integer({ min: 0, max: 250 }), arbSeed(), async (bursts, haltAfterOps, seed) => {
          const run: Run = { calls: [], acked: new Set() }
          const image = await crashImage(new SimFileSystem({ pessimistic, seed }), {
            haltAfterOps,
            seed,
            workload: workload(bursts, run),
          })
          await checkRecovered(image, run)
        }),
        { numRuns: propertyRuns(60) },
      )
    })
  }

  it('keeps the history in every crash image, at every point of a grouped add', async () => {
    const first = { id: '11111111-1111-4111-8111-111111111111', n: 1 }
    const burst = [
      { id: '22222222-2222-4222-8222-222222222222', n: 2 },
      { id: '33333333-3333-4333-8333-333333333333', n: 3 },
      { id: '34333333-3333-4333-8333-333333333333', n: 4 },
    ]
    let images = 0
    for (let haltAfterOps = 0; ; haltAfterOps++) {
      const sim = new SimFileSystem({ pessimistic: true })
      const rk = await RecordKeeper.open(DIR, { fs: sim })
      await rk.add(first)
      const before = sim.opCount
      sim.haltAfter(haltAfterOps)
      const { rejected } = await settle(burst.map((e) => rk.add(e)))
      await rk.close().catch(() => undefined)
      const acked = rejected.length === 0
      for (const image of sim.crashImages({ max: 24 })) {
        images++
        const again = await RecordKeeper.open(DIR, { fs: image })
        const walked = await walk(again)
        if (acked) expect(walked).toEqual([first, ...burst])
        else expect([[first], [first, ...burst]]).toContainEqual(walked)
        expect((await again.verify()).ok).toBe(true)
        await again.close()
      }
      // Stop once the whole burst (and the background tail write) ran before the halt.
      if (acked && sim.opCount - before < haltAfterOps) break
    }
    expect(images).toBeGreaterThan(20)
  })

  it('recovers the same way when it crashes during recovery', async () => {
    await checkProperty(
      fc.asyncProperty(
        arbWorkload,
        fc.integer({ min: 0, max: 250 }),
        arbSeed(),
        fc.integer({ min: 0, max: 120 }),
        fc.boolean(),
        async (bursts, haltAfterOps, seed, recoveryHaltAfterOps, pessimistic) => {
          const run: Run = { calls: [], acked: new Set() }
          const image = await crashImage(new SimFileSystem({ pessimistic, seed }), {
            haltAfterOps,
            seed,
            workload: workload(bursts, run),
          })
          const recover = async (fs: FileSystem): Promise<{ ids: string[]; tail: string | null }> => {
            const rk = await RecordKeeper.open(DIR, { fs })
            const ids = (await walk(rk)).map((e) => e.id)
            const tail = await rk.tail()
            await rk.close()
            return { ids, tail }
          }
          const { once, twice } = await crashDuringRecovery(image, recover, { seed, haltAfterOps: recoveryHaltAfterOps })
          expect(twice).toEqual(once)
          for (const id of run.acked) expect(once.ids).toContain(id)
        },
      ),
      { numRuns: propertyRuns(40) },
    )
  })
})
