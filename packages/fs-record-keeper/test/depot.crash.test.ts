import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, crashDuringRecovery, crashImage, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { Depot, DEPOT_BLOCK_BYTES, ObjectState } from '../src/index.js'

const DIR = '/store'

interface Plan {
  readonly id: string
  readonly content: Uint8Array
  /** Byte ranges written, in order (together they cover the content). */
  readonly chunks: readonly (readonly [number, number])[]
  readonly purge: boolean
}

/** What the workload got acknowledged, per id. */
interface Acks {
  readonly finalized: Set<string>
  readonly purged: Set<string>
}

const arbPlan: fc.Arbitrary<Plan> = fc
  .record({
    id: fc.uuid({ version: 4 }),
    // Mostly small objects; some span more than one checksum block.
    size: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 2000 }) },
      { weight: 1, arbitrary: fc.integer({ min: DEPOT_BLOCK_BYTES - 10, max: DEPOT_BLOCK_BYTES + 700 }) },
    ),
    pieces: fc.integer({ min: 1, max: 4 }),
    fill: fc.integer({ min: 1, max: 250 }),
    purge: fc.boolean(),
  })
  .map(({ id, size, pieces, fill, purge }) => {
    const content = new Uint8Array(size)
    for (let i = 0; i < size; i++) content[i] = (fill + i * 7) & 0xff
    const chunks: [number, number][] = []
    const step = Math.max(1, Math.ceil(size / pieces))
    for (let at = 0; at < size; at += step) chunks.push([at, Math.min(size, at + step)])
    // Write back to front: order must not matter.
    return { id, content, chunks: chunks.reverse(), purge }
  })

const arbPlans = fc.uniqueArray(arbPlan, { minLength: 1, maxLength: 5, selector: (p) => p.id })

function workload(plans: readonly Plan[], acks: Acks): (fs: FileSystem) => Promise<void> {
  return async (fs) => {
    const depot = await Depot.open(DIR, { fs })
    await settle(
      plans.map(async (plan) => {
        await depot.reserve(plan.id, plan.content.byteLength)
        for (const [from, to] of plan.chunks) await depot.write(plan.id, from, plan.content.subarray(from, to))
        await depot.finalize(plan.id)
        acks.finalized.add(plan.id)
        if (plan.purge) {
          await depot.purge(plan.id)
          acks.purged.add(plan.id)
        }
      }),
    )
    await depot.close()
  }
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))

async function checkRecovered(image: FileSystem, plans: readonly Plan[], acks: Acks): Promise<void> {
  const depot = await Depot.open(DIR, { fs: image })
  for (const plan of plans) {
    const state = await depot.state(plan.id)
    if (acks.purged.has(plan.id)) expect(state).toBe(ObjectState.NONEXISTENT)
    else if (acks.finalized.has(plan.id) && !plan.purge) expect(state).toBe(ObjectState.READABLE)
    // A purge in flight may or may not have happened, but it never brings the object back to WRITABLE.
    else if (acks.finalized.has(plan.id)) expect([ObjectState.READABLE, ObjectState.NONEXISTENT]).toContain(state)
    if (state === ObjectState.READABLE) {
      // Never READABLE with content that was not finalized.
      expect(same(await depot.read(plan.id, 0, plan.content.byteLength), plan.content)).toBe(true)
    }
    // Progress: whatever the crash left, the object can be brought to READABLE again.
    if (state === ObjectState.WRITABLE) {
      for (const [from, to] of plan.chunks) await depot.write(plan.id, from, plan.content.subarray(from, to))
      await depot.finalize(plan.id)
    } else if (state === ObjectState.NONEXISTENT) {
      await depot.reserve(plan.id, plan.content.byteLength)
      await depot.write(plan.id, 0, plan.content)
      await depot.finalize(plan.id)
    }
    expect(same(await depot.read(plan.id, 0, plan.content.byteLength), plan.content)).toBe(true)
  }
  expect((await depot.verify()).damaged).toEqual([])
  await depot.close()
}

describe('Depot crash safety', () => {
  for (const pessimistic of [false, true]) {
    it(`keeps acknowledged finalizes and purges, and never exposes unfinalized content (${pessimistic ? 'pessimistic' : 'normal'} disk)`, async () => {
      await checkProperty(
        fc.asyncProperty(arbPlans, fc.integer({ min: 0, max: 120 }), arbSeed(), async (plans, haltAfterOps, seed) => {
          const acks: Acks = { finalized: new Set(), purged: new Set() }
          const image = await crashImage(new SimFileSystem({ pessimistic, seed }), {
            haltAfterOps,
            seed,
            workload: workload(plans, acks),
          })
          await checkRecovered(image, plans, acks)
        }),
        { numRuns: propertyRuns(60) },
      )
    })
  }

  it('reads the same states when it crashes while reopening', async () => {
    await checkProperty(
      fc.asyncProperty(arbPlans, fc.integer({ min: 0, max: 120 }), arbSeed(), fc.integer({ min: 0, max: 30 }), async (plans, haltAfterOps, seed, again) => {
        const acks: Acks = { finalized: new Set(), purged: new Set() }
        const image = await crashImage(new SimFileSystem({ pessimistic: true, seed }), {
          haltAfterOps,
          seed,
          workload: workload(plans, acks),
        })
        const states = async (fs: FileSystem): Promise<number[]> => {
          const depot = await Depot.open(DIR, { fs })
          const out: number[] = []
          for (const plan of plans) out.push(await depot.state(plan.id))
          await depot.close()
          return out
        }
        const { once, twice } = await crashDuringRecovery(image, states, { seed, haltAfterOps: again })
        expect(twice).toEqual(once)
      }),
      { numRuns: propertyRuns(30) },
    )
  })
})
