/** One demo scenario: a file in `src/scenarios/` exporting `scenario`. */
export interface Scenario {
  /** Short name, used to run it alone: `pnpm demo wal`. */
  readonly name: string
  readonly title: string
  /** Throws when an invariant breaks (the demo then exits non-zero). */
  run(ctx: ScenarioContext): Promise<void>
}

export interface ScenarioContext {
  /** A fresh directory on the real disk, removed afterwards. */
  readonly dir: string
  /** How many kill-and-recover rounds to run (`QUIRE_DEMO_ROUNDS`, default 5). */
  readonly rounds: number
  log(line: string): void
}
