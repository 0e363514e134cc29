/**
 * Counters that `pnpm soak` sums into its table: each vitest worker adds to them while its tests
 * run, and the soak's setup file (`soak-setup.ts`) writes them to a file when the test file ends.
 * Outside a soak nothing reads them.
 */
export interface SoakTally {
  /** Properties run through `checkProperty`, and their runs. */
  properties: number
  runs: number
  /** Disks a simulated power cut produced (`SimFileSystem.crash`, each image of `crashImages`). */
  crashImages: number
  /** Child processes killed with SIGKILL. */
  kills: number
  /** Acknowledged writes a test checked after a crash or a kill (reported with `tallyAckedChecked`). */
  ackedChecked: number
  /** Properties that failed, with how to replay them. */
  readonly failures: { readonly replay: string; readonly message: string }[]
}

const key = Symbol.for('quire.soakTally')

/** This worker's counters (one object, shared by every copy of this module the worker loads). */
export function soakTally(): SoakTally {
  const holder = globalThis as { [key]?: SoakTally }
  holder[key] ??= { properties: 0, runs: 0, crashImages: 0, kills: 0, ackedChecked: 0, failures: [] }
  return holder[key]
}

/** A test says it checked `n` acknowledged writes against what recovery (or a reopen) found. */
export function tallyAckedChecked(n: number): void {
  soakTally().ackedChecked += n
}

/**
 * Rounds a kill test runs: `defaultRounds`, sized for CI, unless `QUIRE_KILL_ROUNDS` says more
 * (`pnpm soak` runs the kill tests with more rounds).
 */
export function killRounds(defaultRounds: number): number {
  const fromEnv = Number(process.env.QUIRE_KILL_ROUNDS)
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : defaultRounds
}
