import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { NodeFileSystem, type FileSystem } from '@quire/vfs'
import type { BackendName, PostgresTarget } from '../ledger/backends.js'
import { Ledger } from '../ledger/ledger.js'
import type { Expectations } from './checks/expectations.js'
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
  /** What the clients saw over the whole run. */
  readonly clients: {
    readonly acknowledged: number
    readonly declines: number
    readonly replays: number
    readonly repeats: number
    readonly badRequests: number
    readonly shed: number
    readonly retries: number
    readonly timeouts: number
    readonly unknown: number
    readonly reads: number
  }
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
  const checkOptions = { sameCommitTransfers: o.backend !== 'postgres', verifiedDocuments }

  /** Every check on the stores as left, then again after the service's own recovery caught them up. */
  const inspect = async (
    dir: string,
    fs: FileSystem | undefined,
    exp: Expectations,
  ): Promise<{ asLeft: LedgerInspection; caughtUp: LedgerInspection; catchUpMs: number; rewound: number | undefined; checks: Check[] }> => {
    const ledger = await Ledger.open({ dir, backend: o.backend, ...(fs === undefined ? {} : { fs }), ...(o.postgres === undefined ? {} : { postgres: o.postgres }) })
    try {
      const asLeft = await checkLedger(ledger, exp, { ...checkOptions, phase: 'as-left' })
      const catchUpStart = performance.now()
      await ledger.startBackground()
      await ledger.caughtUp(120_000)
      const catchUpMs = performance.now() - catchUpStart
      const caughtUp = await checkLedger(ledger, exp, { ...checkOptions, phase: 'caught-up' })
      const rewound = ledger.audit.rewoundFrom === undefined ? undefined : Number(ledger.audit.rewoundFrom - ledger.audit.startedAt)
      return { asLeft, caughtUp, catchUpMs, rewound, checks: [...asLeft.checks.map((c) => ({ ...c, name: `${c.name} (as left)` })), ...caughtUp.checks] }
    } finally {
      await ledger.close()
    }
  }

  /** Prints a round's checks as one block and keeps its figures for the closing table. */
  const report = (
    r: { round: number; endedBy: RoundReport['endedBy']; loadSeconds: number; acked: number; restartMs: number | undefined; openMs: number | undefined; sim: boolean },
    i: Awaited<ReturnType<typeof inspect>>,
  ): void => {
    const lines = [
      `   round ${r.round} as the ${r.endedBy === 'power cut' ? 'power cut' : 'kill'} left it: log ${n(i.asLeft.fold.events)} events, read model ${n(i.asLeft.readModelBehind)} behind, audit ${n(i.asLeft.auditBehind)} behind`,
      `   ${i.asLeft.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}`).join('  ')}`,
      ...i.asLeft.checks.filter((c) => !c.ok).map((c) => `      ✗ ${c.name} (as left): ${c.detail}`),
      ...(i.rewound === undefined ? [] : [`   the audit checkpoint was ${n(i.rewound)} events ahead of the audit file (lines the power cut took): rewound, delivered again`]),
      `   round ${r.round} recovered and caught up in ${n(i.catchUpMs)} ms:`,
      ...i.caughtUp.checks.map((c) => `   ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`),
    ]
    for (const line of lines) say(line)
    reports.push({
      round: r.round,
      endedBy: r.endedBy,
      loadSeconds: r.loadSeconds,
      acked: r.acked,
      logEvents: i.caughtUp.fold.events,
      readModelBehind: i.asLeft.readModelBehind,
      auditBehind: i.asLeft.auditBehind,
      catchUpMs: i.catchUpMs,
      restartMs: r.restartMs,
      openMs: r.openMs,
      checks: i.checks,
    })
  }

  let failed = false
  try {
    await within(120_000, 'opening the accounts', load.ready)
    let overheadMs = 3_000
    let pendingCheck: Promise<void> = Promise.resolve()
    for (round = 1; round <= o.rounds; round++) {
      const last = round === o.rounds
      const sim = o.powerCut && last
      const nextIsSim = o.powerCut && round + 1 === o.rounds
      const roundsLeft = o.rounds - round + 1
      const remainingMs = o.minutes * 60_000 - seconds() * 1000
      const loadMs = Math.max(2_000, (Math.max(0, remainingMs - overheadMs * roundsLeft) / roundsLeft) * (0.6 + 0.8 * rng.next()))
      const ackedBefore = load.acked.size
      const roundStart = seconds()
      let endedBy: RoundReport['endedBy']
      let fs: FileSystem | undefined
      let checkDir = dataDir
      let openMs: number | undefined
      let restartMs: number | undefined
      if (sim) {
        // The previous round left the service down: this round serves from this process, on a simulated disk.
        await pendingCheck
        const r = await runSimRound({
          dataDir,
          backend: o.backend,
          port,
          seed: o.seed + round,
          loadMs,
          pessimistic: rng.next() < 0.5,
          ...(o.breakFault === 'projection-twice' ? { faults: { applyTwice: true } } : {}),
        })
        openMs = r.openMs
        lastRecoveryMs = r.openMs
        const down = outages.at(-1)
        if (down !== undefined && down.backAt === undefined) outages[outages.length - 1] = { ...down, backAt: (r.servingAt - t0) / 1000 }
        outages.push({ label: 'power cut', at: (r.cutAt - t0) / 1000, backAt: undefined })
        endedBy = 'power cut'
        fs = r.image
        checkDir = SIM_DATA_DIR
        say(`── round ${round}/${o.rounds}: power cut on the simulated disk after ${((r.cutAt - r.servingAt) / 1000).toFixed(1)} s (copied ${n(r.copied.files)} files, ${n(r.copied.bytes / 1024)} KiB, onto it; served in ${n(r.openMs)} ms)`)
      } else {
        // A kill at a random moment, but not before the previous round's checks are done.
        const died = await Promise.race([Promise.all([sleep(loadMs), pendingCheck]).then(() => false), service!.exited.then(() => true)])
        kills++
        endedBy = died ? 'service died' : 'SIGKILL'
        if (!died) await service!.kill()
        outages.push({ label: died ? 'service died' : `SIGKILL ${kills}`, at: seconds(), backAt: undefined })
        say(`── round ${round}/${o.rounds}: ${died ? `the service DIED BY ITSELF (${service!.fatal ?? 'no message'})` : 'SIGKILL'} after ${(seconds() - roundStart).toFixed(1)} s of load`)
        if (died) failed = true
      }
      service = undefined
      const loadSeconds = seconds() - roundStart
      const ackedThisRound = load.acked.size - ackedBefore
      // What the clients were told before the kill: every reply came from the service now dead.
      if (last) await within(30_000, 'stopping the load generator', load.stop())
      const expectations = load.snapshot()

      // The stores as the kill left them are checked on a copy while the service restarts on the
      // originals (on PostgreSQL the log is shared, so the service stays down during the checks).
      const restartNow = !last && !nextIsSim && o.backend !== 'postgres'
      const restart = async (): Promise<void> => {
        const restartAt = performance.now()
        service = ServiceProcess.start(spec)
        const ready = await within(60_000, 'restarting the service', service.ready)
        restartMs = performance.now() - restartAt
        openMs = ready.openMs
        lastRecoveryMs = restartMs
        outages[outages.length - 1] = { ...outages[outages.length - 1]!, backAt: seconds() }
        say(`   restarted: serving again ${n(restartMs)} ms after the restart (its stores recovered in ${n(ready.openMs)} ms)`)
      }
      const restartStart = performance.now()
      if (restartNow) {
        checkDir = join(o.runDir, `check-round-${round}`)
        await copyTree(new NodeFileSystem(), dataDir, new NodeFileSystem(), checkDir)
        await restart()
        say(`   checking a copy of the data as the kill left it, while the service serves again…`)
      }
      const thisRound = round
      const check = async (): Promise<void> => {
        const inspection = await inspect(checkDir, fs, expectations)
        if (inspection.checks.some((c) => !c.ok)) failed = true
        report({ round: thisRound, endedBy, loadSeconds, acked: ackedThisRound, restartMs, openMs, sim }, inspection)
        if (checkDir !== dataDir && !sim) await rm(checkDir, { recursive: true, force: true })
        if (sim) {
          // The run's data on disk become what the power cut left, recovered: readable with jq afterwards.
          await rm(dataDir, { recursive: true, force: true })
          await copyTree(fs!, SIM_DATA_DIR, new NodeFileSystem(), dataDir)
        }
      }
      if (restartNow) {
        pendingCheck = check()
        // A failed check must not stay an unobserved rejection until the next kill awaits it.
        pendingCheck.catch(() => undefined)
      } else {
        await check()
        if (!last && !nextIsSim) await restart()
      }
      overheadMs = performance.now() - restartStart
    }
    await pendingCheck
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
  const clients = {
    acknowledged: load.acked.size,
    declines: load.totals.declines,
    replays: load.totals.replays,
    repeats: load.repeats.total,
    badRequests: load.badRequests.total,
    shed: load.totals.shed,
    retries: load.totals.retries,
    timeouts: load.totals.timeouts,
    unknown: load.totals.unknown,
    reads: load.totals.reads,
  }
  return { ok: !failed, rounds: reports, chartPath, summaryPath, dataDir, seconds: total, clients }
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
    r.restartMs === undefined ? (r.openMs === undefined ? (r.endedBy === 'power cut' ? '–' : 'sim next') : `${n(r.openMs)} (sim)`) : n(r.restartMs),
    r.openMs === undefined ? '–' : n(r.openMs),
    `${r.checks.filter((c) => c.ok).length}/${r.checks.length}`,
  ])
  const c = result.clients
  return (
    table(
      ['round', 'ended by', 'load s', 'acked', 'cmd/s', 'log events', 'rm behind', 'audit behind', 'restart→serving ms', 'recovery ms', 'checks ok'],
      rows,
      ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ) +
    `\n\nClients: ${n(c.acknowledged)} commands acknowledged (${n(c.declines)} declined for funds), ${n(c.replays)} retries answered from what the first attempt had booked, ` +
    `${n(c.repeats)} exact repeats, ${n(c.badRequests)} bad requests refused, ${n(c.reads)} queries answered; ` +
    `${n(c.retries)} retries with the same key (${n(c.timeouts)} after a timeout, ${n(c.shed)} after a 503: overloaded or contended), ${n(c.unknown)} commands left unknown at the end`
  )
}
