import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { NodeFileSystem, type FileSystem } from '@quire/vfs'
import type { BackendName, PostgresTarget } from '../ledger/backends.js'
import { Ledger } from '../ledger/ledger.js'
import { checkLedger, type Check, type LedgerInspection } from './checks/invariants.js'
import { copyTree } from './copy-tree.js'
import { LoadDriver, SAMPLE_SECONDS } from './load-driver.js'
import { Prng } from './prng.js'
import { throughputChart, type Outage } from './report/chart.js'
import type { StatusLine } from './report/status-line.js'
import { table } from './report/table.js'
import { ServiceProcess } from './service-process.js'
import { SIM_DATA_DIR, runSimRound } from './sim-round.js'

export interface StoryOptions {
  readonly backend: BackendName
  readonly seed: number
  /** Kill-and-recover rounds; with `powerCut`, the last one cuts the power instead. */
  readonly rounds: number
  readonly clients: number
  /** Wall-clock budget of the whole story. */
  readonly minutes: number
  readonly accounts: number
  /** Where the run's data, chart and summary go. */
  readonly runDir: string
  /** End with a round on `@quire/vfs/sim` that cuts the power (embedded backends only). */
  readonly powerCut: boolean
  readonly postgres?: PostgresTarget
  /** Inject a fault on purpose, to see the checks catch it. */
  readonly breakFault?: 'projection-twice'
  readonly status: StatusLine
}

export interface RoundReport {
  readonly round: number
  readonly endedBy: 'SIGKILL' | 'power cut' | 'service died'
  readonly loadSeconds: number
  readonly acked: number
  readonly logEvents: number
  /** How far the read model and the audit trail were behind the log as the kill left them. */
  readonly readModelBehind: number
  readonly auditBehind: number
  /** Time for the checker's recovery to catch the read model and audit up, ms. */
  readonly catchUpMs: number
  /** From the (re)start until the service served again, and how much of it was opening the stores. */
  readonly restartMs: number | undefined
  readonly openMs: number | undefined
  readonly checks: readonly Check[]
}

export interface StoryResult {
  readonly ok: boolean
  readonly rounds: readonly RoundReport[]
  readonly chartPath: string
  readonly summaryPath: string
  readonly dataDir: string
  readonly seconds: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** `promise`, or a rejection naming `what` after `ms`: a stuck step fails the demo instead of hanging it. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
const n = (x: number): string => Math.round(x).toLocaleString('en-US')

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/**
 * `pnpm demo`: the bank ledger service under load, SIGKILLed at random moments and restarted,
 * one round on a simulated disk whose power is cut; after every round every invariant is
 * checked on the stores as the kill left them and again after recovery caught up.
 */
export async function runStory(o: StoryOptions): Promise<StoryResult> {
  const t0 = performance.now()
  const seconds = (): number => (performance.now() - t0) / 1000
  const rng = new Prng(o.seed)
  const dataDir = join(o.runDir, 'data')
  await mkdir(dataDir, { recursive: true })
  const port = await freePort()
  const say = (line: string): void => o.status.log(line)
  const spec = { dataDir, port, backend: o.backend, ...(o.postgres === undefined ? {} : { postgres: o.postgres }), ...(o.breakFault === undefined ? {} : { breakFault: o.breakFault }) }
  const verifiedDocuments = new Set<string>()
  const outages: Outage[] = []
  const reports: RoundReport[] = []
  let kills = 0
  let lastRecoveryMs: number | undefined
  let round = 0

  say(`Ledger service (${o.backend} backend) at http://127.0.0.1:${port}, data in ${dataDir}`)
  let service: ServiceProcess | undefined = ServiceProcess.start(spec)
  const first = await within(60_000, 'starting the service', service.ready)
  say(`   service up in ${n(seconds() * 1000)} ms (stores opened in ${first.openMs} ms); ${o.clients} clients open and fund ${o.accounts} accounts…`)
  const load = new LoadDriver({ port, seed: o.seed, clients: o.clients, accounts: o.accounts, t0 })
  const ticker = setInterval(() => {
    o.status.update(
      `round ${Math.max(1, round)}/${o.rounds} · ${n(load.rate(1))} commands/s · ${n(load.acked.size)} acknowledged · ` +
        `kills ${kills} · last recovery ${lastRecoveryMs === undefined ? '–' : `${n(lastRecoveryMs)} ms`} · ${seconds().toFixed(0)} s`,
    )
  }, 250)
  let failed = false
  try {
    await within(120_000, 'opening the accounts', load.ready)
    let overheadMs = 3_000
    for (round = 1; round <= o.rounds; round++) {
      const last = round === o.rounds
      const sim = o.powerCut && last
      const roundsLeft = o.rounds - round + 1
      const remainingMs = o.minutes * 60_000 - seconds() * 1000
      const loadMs = Math.max(1_500, (remainingMs - overheadMs * roundsLeft) / roundsLeft) * (0.6 + 0.8 * rng.next())
      const ackedBefore = load.acked.size
      const roundStart = seconds()
      let endedBy: RoundReport['endedBy']
      let fs: FileSystem | undefined
      let dir = dataDir
      let simServing: number | undefined
      if (sim) {
        // The previous round left the service down: this round serves from this process, on a simulated disk.
        const r = await runSimRound({ dataDir, backend: o.backend, port, seed: o.seed + round, loadMs, pessimistic: rng.next() < 0.5 })
        simServing = r.openMs
        lastRecoveryMs = r.openMs
        const down = outages.at(-1)
        if (down !== undefined && down.backAt === undefined) outages[outages.length - 1] = { ...down, backAt: (r.servingAt - t0) / 1000 }
        outages.push({ label: 'power cut', at: (r.cutAt - t0) / 1000, backAt: undefined })
        endedBy = 'power cut'
        fs = r.image
        dir = SIM_DATA_DIR
        say(`── round ${round}/${o.rounds}: power cut on the simulated disk after ${((r.cutAt - r.servingAt) / 1000).toFixed(1)} s (copied ${n(r.copied.files)} files, ${n(r.copied.bytes / 1024)} KiB, onto it; served in ${n(r.openMs)} ms)`)
      } else {
        const died = await Promise.race([sleep(loadMs).then(() => false), service!.exited.then(() => true)])
        kills++
        endedBy = died ? 'service died' : 'SIGKILL'
        if (!died) await service!.kill()
        outages.push({ label: died ? 'service died' : `SIGKILL ${kills}`, at: seconds(), backAt: undefined })
        say(`── round ${round}/${o.rounds}: ${died ? `the service DIED BY ITSELF (${service!.fatal ?? 'no message'})` : 'SIGKILL'} after ${(seconds() - roundStart).toFixed(1)} s of load`)
        if (died) failed = true
      }
      service = undefined
      if (last) await within(30_000, 'stopping the load generator', load.stop())
      const ackedThisRound = load.acked.size - ackedBefore
      const loadSeconds = seconds() - roundStart

      // Check: the stores as the kill left them, then recovered by the service's own code until caught up.
      const checkStart = performance.now()
      const ledger = await Ledger.open({ dir, backend: o.backend, ...(fs === undefined ? {} : { fs }), ...(o.postgres === undefined ? {} : { postgres: o.postgres }) })
      let asLeft: LedgerInspection
      let caughtUp: LedgerInspection
      let catchUpMs: number
      try {
        const options = { sameCommitTransfers: o.backend !== 'postgres', verifiedDocuments }
        asLeft = await checkLedger(ledger, load.expectations(), { ...options, phase: 'as-left' })
        const catchUpStart = performance.now()
        await ledger.startBackground()
        await ledger.caughtUp(120_000)
        catchUpMs = performance.now() - catchUpStart
        caughtUp = await checkLedger(ledger, load.expectations(), { ...options, phase: 'caught-up' })
      } finally {
        await ledger.close()
      }
      const behind = { readModel: asLeft.readModelBehind, audit: asLeft.auditBehind }
      const asLeftLine = asLeft.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}`).join('  ')
      say(`   as left: log ${n(asLeft.fold.events)} events, read model ${n(behind.readModel)} behind, audit ${n(behind.audit)} behind`)
      say(`   ${asLeftLine}`)
      for (const c of asLeft.checks) if (!c.ok) say(`      ✗ ${c.name} (as left): ${c.detail}`)
      say(`   recovered and caught up in ${n(catchUpMs)} ms:`)
      for (const c of caughtUp.checks) say(`   ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`)
      const checks = [...asLeft.checks.map((c) => ({ ...c, name: `${c.name} (as left)` })), ...caughtUp.checks]
      if (checks.some((c) => !c.ok)) failed = true
      if (sim) {
        // The run's data on disk become what the power cut left, recovered: readable with jq afterwards.
        await rm(dataDir, { recursive: true, force: true })
        await copyTree(fs!, SIM_DATA_DIR, new NodeFileSystem(), dataDir)
      }

      let restartMs: number | undefined
      let openMs: number | undefined = simServing
      if (!last) {
        const restartAt = performance.now()
        if (!(o.powerCut && round + 1 === o.rounds)) {
          service = ServiceProcess.start(spec)
          const ready = await within(60_000, 'restarting the service', service.ready)
          restartMs = performance.now() - restartAt
          openMs = ready.openMs
          lastRecoveryMs = restartMs
          outages[outages.length - 1] = { ...outages[outages.length - 1]!, backAt: seconds() }
          say(`   service restarted: serving again ${n(restartMs)} ms after the restart (stores recovered in ${n(ready.openMs)} ms)`)
        }
      }
      overheadMs = performance.now() - checkStart
      reports.push({
        round,
        endedBy,
        loadSeconds,
        acked: ackedThisRound,
        logEvents: caughtUp.fold.events,
        readModelBehind: behind.readModel,
        auditBehind: behind.audit,
        catchUpMs,
        restartMs,
        openMs,
        checks,
      })
    }
  } catch (error) {
    failed = true
    throw error
  } finally {
    clearInterval(ticker)
    o.status.done()
    if (service !== undefined) await service.kill()
    load.kill()
  }

  const total = seconds()
  const samples = load.commandSamples.map((count, i) => ({ t: (i + 0.5) * SAMPLE_SECONDS, commandsPerSecond: count / SAMPLE_SECONDS, queriesPerSecond: (load.querySamples[i] ?? 0) / SAMPLE_SECONDS }))
  const chartPath = join(o.runDir, 'throughput.svg')
  const subtitle = `backend ${o.backend} · seed ${o.seed} · ${o.clients} clients · ${o.accounts} accounts · ${kills} SIGKILLs${o.powerCut ? ' + 1 power cut' : ''} · ${n(load.acked.size)} commands acknowledged in ${total.toFixed(0)} s`
  await writeFile(chartPath, throughputChart({ title: 'Quire ledger demo: throughput while the service is killed', subtitle, samples, outages }))
  const summaryPath = join(o.runDir, 'summary.json')
  await writeFile(
    summaryPath,
    JSON.stringify({ options: { ...o, status: undefined }, ok: !failed, seconds: total, totals: load.totals, acknowledged: load.acked.size, rounds: reports, outages, samples }, null, 2),
  )
  return { ok: !failed, rounds: reports, chartPath, summaryPath, dataDir, seconds: total }
}

/** The closing table: one row per round. */
export function summaryTable(result: StoryResult): string {
  const rows = result.rounds.map((r) => [
    String(r.round),
    r.endedBy,
    r.loadSeconds.toFixed(1),
    n(r.acked),
    n(r.acked / Math.max(0.001, r.loadSeconds)),
    n(r.logEvents),
    n(r.readModelBehind),
    n(r.auditBehind),
    r.restartMs === undefined ? (r.openMs === undefined ? '–' : `${n(r.openMs)} (sim)`) : n(r.restartMs),
    r.openMs === undefined ? '–' : n(r.openMs),
    `${r.checks.filter((c) => c.ok).length}/${r.checks.length}`,
  ])
  return table(
    ['round', 'ended by', 'load s', 'acked', 'cmd/s', 'log events', 'rm behind', 'audit behind', 'restart→serving ms', 'recovery ms', 'checks ok'],
    rows,
    ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  )
}
