import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns, settle } from '@quire/test-kit'
import { DurableAppendFile, Poison } from '../src/index.js'

type Step =
  | { readonly kind: 'append'; readonly length: number; readonly sync: boolean }
  | { readonly kind: 'sync' }
  | { readonly kind: 'roll' }

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), length: fc.integer({ min: 1, max: 900 }), sync: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'sync' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
)
const arbFault = fc.record({
  op: fc.constantFrom('write' as const, 'sync' as const, 'truncate' as const, 'open' as const),
  nth: fc.integer({ min: 1, max: 10 }),
  error: fc.constantFrom('EIO' as const, 'ENOSPC' as const),
  partial: fc.boolean(),
})

const HEADER = new Uint8Array([0x48, 0x44, 0x52])
const name = (i: number): string => `/d/log.${i}`

/** What the model says each file must hold after a crash: its durable bytes, at least. */
interface Model {
  /** Per file: every byte acknowledged as written, in order. */
  written: number[][]
  /** Per file: how many of them were acknowledged durable. */
  durable: number[]
}

/** How the file is written: plain, with free space, through O_DSYNC, or both (the WAL's way). */
interface Config {
  readonly preallocate: number
  readonly dsync: boolean
}
const CONFIGS: readonly Config[] = [
  { preallocate: 0, dsync: false },
  { preallocate: 700, dsync: false },
  { preallocate: 700, dsync: true },
]

async function makeFile(fs: SimFileSystem, i: number, config: Config): Promise<{ handle: Awaited<ReturnType<SimFileSystem['open']>>; end: number }> {
  const handle = await fs.open(name(i), 'wx', { dsync: config.dsync })
  await handle.write(HEADER, 0)
  await handle.sync()
  await fs.syncDir('/d')
  return { handle, end: HEADER.byteLength }
}

type Fault = Parameters<SimFileSystem['injectFault']>[0]

/**
 * Runs the steps one after the other (the file is single-writer); a `sync` step also races the
 * next step. `faults` are armed once the first file exists: they strike the workload only.
 */
async function run(fs: SimFileSystem, steps: readonly Step[], faults: readonly Fault[], config: Config): Promise<Model> {
  const model: Model = { written: [[...HEADER]], durable: [HEADER.byteLength] }
  await fs.mkdir('/d')
  await fs.syncDir('/')
  const first = await makeFile(fs, 0, config)
  for (const f of faults) fs.injectFault(f)
  const file = new DurableAppendFile(first.handle, { end: first.end, poison: new Poison(), preallocate: config.preallocate, maxFileEnd: 4000 })
  let fill = 1
  const racing: Promise<unknown>[] = []
  for (const step of steps) {
    const current = model.written.length - 1
    try {
      if (step.kind === 'append') {
        const bytes = new Uint8Array(step.length).fill(fill)
        fill = (fill % 250) + 1
        await file.append(bytes, { sync: step.sync })
        model.written[current]!.push(...bytes)
        if (step.sync) model.durable[current] = model.written[current]!.length
      } else if (step.kind === 'sync') {
        const upTo = model.written[current]!.length
        racing.push(file.sync().then(() => void (model.durable[current] = Math.max(model.durable[current]!, upTo)), () => undefined))
      } else {
        const next = model.written.length
        await file.roll(async () => {
          try {
            return await makeFile(fs, next, config)
          } catch (err) {
            // A half-made file goes, so that the next roll can make it again (the WAL does the same).
            await fs.unlink(name(next)).catch(() => undefined)
            throw err
          }
        })
        model.durable[current] = model.written[current]!.length
        model.written.push([...HEADER])
        model.durable.push(HEADER.byteLength)
      }
    } catch (err) {
      const code = (err as { code?: string }).code
      // Typed failures; a roll's own EIO/ENOSPC; the power going out (EHALTED), even mid-rollback.
      if (!['WRITE_FAILED', 'POISONED', 'EIO', 'ENOSPC', 'EHALTED', 'EEXIST'].includes(code ?? '')) throw err
    }
  }
  await settle(racing)
  await file.close()
  return model
}

async function check(image: SimFileSystem, model: Model): Promise<void> {
  for (let i = 0; i < model.written.length; i++) {
    const durable = model.durable[i]!
    if (durable === 0) continue
    const bytes = await image.readFile(name(i))
    // Every acknowledged-durable byte is there, in place; nothing rolled back sits among them.
    expect(bytes.byteLength).toBeGreaterThanOrEqual(durable)
    expect([...bytes.subarray(0, durable)]).toEqual(model.written[i]!.slice(0, durable))
  }
}

describe('DurableAppendFile crash property', () => {
  it.each([false, true])('a crash at any moment keeps every byte acknowledged durable, in place (pessimistic: %s)', async (pessimistic) => {
    await checkProperty(
      fc.asyncProperty(fc.array(arbStep, { minLength: 1, maxLength: 30 }), fc.nat(1_000_000), arbSeed(), fc.constantFrom(...CONFIGS), async (steps, haltAt, seed, config) => {
        const dry = new SimFileSystem({ pessimistic })
        await run(dry, steps, [], config)
        const sim = new SimFileSystem({ pessimistic })
        sim.haltAfter(haltAt % (dry.opCount + 1))
        let model: Model | undefined
        try {
          model = await run(sim, steps, [], config)
        } catch {
          // setup cut off by the halt: the model below has nothing durable yet
        }
        const image = sim.crash(seed)
        if (model !== undefined) await check(image, model)
      }),
      { numRuns: propertyRuns(150) },
    )
  })

  it.each([false, true])('injected EIO/ENOSPC never cost a durable byte (pessimistic: %s)', async (pessimistic) => {
    await checkProperty(
      fc.asyncProperty(fc.array(arbStep, { minLength: 1, maxLength: 30 }), fc.array(arbFault, { minLength: 1, maxLength: 3 }), arbSeed(), fc.constantFrom(...CONFIGS), async (steps, faults, seed, config) => {
        const sim = new SimFileSystem({ pessimistic, seed })
        const model = await run(sim, steps, faults.map((f) => ({ ...f, path: /^\/d\/log\./ })), config)
        await check(sim.crash(seed), model)
        // And in this process too: after a failed sync the file was cut back to what the disk holds.
        await check(sim.clone(), { written: model.written, durable: model.durable })
      }),
      { numRuns: propertyRuns(150) },
    )
  })
})
