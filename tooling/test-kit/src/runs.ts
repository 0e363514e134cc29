import fc from 'fast-check'
import { soakTally } from './soak-tally.js'

/**
 * How many runs a property gets: `defaultRuns`, sized for CI, unless `QUIRE_PROPERTY_RUNS` says
 * otherwise (soak runs: `QUIRE_PROPERTY_RUNS=5000 pnpm test`).
 */
export function propertyRuns(defaultRuns: number): number {
  const fromEnv = Number(process.env.QUIRE_PROPERTY_RUNS)
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : defaultRuns
}

/**
 * `fc.assert` that says how to replay a failure: the seed and path go into the error message,
 * and `QUIRE_SEED`/`QUIRE_PATH` in the environment replay exactly that run.
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  options: { numRuns?: number } = {},
): Promise<void> {
  const seed = process.env.QUIRE_SEED === undefined ? undefined : Number(process.env.QUIRE_SEED)
  const path = process.env.QUIRE_PATH
  const params: fc.Parameters<Ts> = {
    numRuns: propertyRuns(options.numRuns ?? 50),
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined ? {} : { path }),
  }
  const details = await fc.check(property, params)
  const tally = soakTally()
  tally.properties++
  tally.runs += details.numRuns
  if (!details.failed) return
  const replay = `replay: QUIRE_SEED=${details.seed} QUIRE_PATH=${details.counterexamplePath ?? ''}`
  tally.failures.push({ replay, message: (fc.defaultReportMessage(details) ?? 'property failed').split('\n')[0] ?? '' })
  process.stderr.write(`\nProperty failed. ${replay}\n`)
  throw new Error(`${fc.defaultReportMessage(details) ?? 'property failed'}\n${replay}`, {
    cause: details.errorInstance,
  })
}

/** A seed for the simulator's crash choices. */
export const arbSeed = (): fc.Arbitrary<number> => fc.integer({ min: 0, max: 0x7fffffff })
