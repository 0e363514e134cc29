import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { SimFileSystem } from '@quire/vfs/sim'
import { checkProperty, crashDuringRecovery, crashImage, propertyRuns, settle } from '../src/index.js'

describe('test-kit', () => {
  it('propertyRuns honours QUIRE_PROPERTY_RUNS', () => {
    const saved = process.env.QUIRE_PROPERTY_RUNS
    process.env.QUIRE_PROPERTY_RUNS = '7'
    expect(propertyRuns(100)).toBe(7)
    delete process.env.QUIRE_PROPERTY_RUNS
    expect(propertyRuns(100)).toBe(100)
    if (saved !== undefined) process.env.QUIRE_PROPERTY_RUNS = saved
  })

  it('checkProperty reports the seed to replay a failure', async () => {
    await expect(
      checkProperty(fc.property(fc.integer(), (n) => n < 1000), { numRuns: 1000 }),
    ).rejects.toThrow(/QUIRE_SEED=-?\d+ QUIRE_PATH=/)
  })

  it('settle splits results', async () => {
    const s = await settle([Promise.resolve(1), Promise.reject(new Error('x')), Promise.resolve(2)])
    expect(s.fulfilled).toEqual([1, 2])
    expect(s.rejected).toHaveLength(1)
  })

  it('crashImage halts the workload and returns a crash image', async () => {
    const sim = new SimFileSystem()
    const image = await crashImage(sim, {
      haltAfterOps: 3,
      seed: 1,
      workload: async (fs) => {
        for (let i = 0; i < 10; i++) {
          const h = await fs.open(`/f${i}`, 'w')
          await h.sync()
          await fs.syncDir('/')
        }
      },
    })
    expect(sim.halted).toBe(true)
    // open, sync, syncDir: exactly one file made it, durably
    expect(await image.readdir('/')).toEqual(['f0'])
  })

  it('crashDuringRecovery recovers twice', async () => {
    const image = new SimFileSystem()
    await image.writeFile('/x', new Uint8Array([1]))
    const { once, twice } = await crashDuringRecovery(
      image,
      async (fs) => (await fs.exists('/x')) && (await fs.readFile('/x'))[0],
      { seed: 1, haltAfterOps: 1 },
    )
    expect(twice).toEqual(once)
  })
})
