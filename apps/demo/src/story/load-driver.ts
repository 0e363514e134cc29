import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { AckedCommand, Expectations } from './checks/expectations.js'
import type { LoadMessage } from './load/protocol.js'
import { spawnTs } from './service-process.js'

const LOAD_MAIN = fileURLToPath(new URL('./load/load-main.ts', import.meta.url))

/** Width of one throughput sample, seconds. */
export const SAMPLE_SECONDS = 0.5

/**
 * The load generator's process, seen from the demo: it collects every definitive reply the
 * clients got (the expectations the log is checked against) and counts throughput.
 */
export class LoadDriver {
  readonly #child: ChildProcess
  readonly #t0: number
  readonly acked = new Map<string, AckedCommand>()
  readonly refusedKeys = new Set<string>()
  readonly repeats = { total: 0, different: [] as string[] }
  readonly badRequests = { total: 0, wrong: [] as string[] }
  readonly totals = { replays: 0, declines: 0, reads: 0, readFailures: 0, shed: 0, retries: 0, timeouts: 0, unknown: 0 }
  /** Commands acknowledged and queries answered per sample (index = seconds / SAMPLE_SECONDS). */
  readonly commandSamples: number[] = []
  readonly querySamples: number[] = []
  readonly ready: Promise<void>
  readonly exited: Promise<void>

  constructor(options: { readonly port: number; readonly seed: number; readonly clients: number; readonly accounts: number; readonly t0: number }) {
    this.#t0 = options.t0
    this.#child = spawnTs(
      LOAD_MAIN,
      ['--port', String(options.port), '--seed', String(options.seed), '--clients', String(options.clients), '--accounts', String(options.accounts)],
      'pipe',
    )
    const lines = createInterface({ input: this.#child.stdout! })
    const closed = new Promise<void>((resolve) => lines.once('close', resolve))
    this.exited = Promise.all([closed, new Promise((resolve) => this.#child.once('exit', resolve))]).then(() => undefined)
    this.ready = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        const message = JSON.parse(line) as LoadMessage
        if (message.t === 'ready') resolve()
        else this.#take(message)
      })
      void this.exited.then(() => reject(new Error('the load generator exited before every account was open')))
    })
    this.ready.catch(() => undefined)
  }

  /** Seconds since the story started. */
  #now(): number {
    return (performance.now() - this.#t0) / 1000
  }

  #count(samples: number[], amount: number): void {
    const i = Math.floor(this.#now() / SAMPLE_SECONDS)
    while (samples.length <= i) samples.push(0)
    samples[i]! += amount
  }

  #take(m: LoadMessage): void {
    switch (m.t) {
      case 'cmd': {
        // A retry (after a timeout or a kill) whose first attempt had booked it: answered from the log.
        if (m.replay && !m.again) this.totals.replays++
        if (m.again) {
          this.repeats.total++
          const first = this.acked.get(m.key)
          if (first !== undefined && first.status !== m.status) this.repeats.different.push(`key ${m.key} answered ${first.status}, repeated ${m.status}`)
          return
        }
        if (this.acked.has(m.key)) return
        this.acked.set(m.key, { cmd: m.cmd, status: m.status, ...(m.code === undefined ? {} : { code: m.code }), ...(m.objectId === undefined ? {} : { objectId: m.objectId }) })
        if (m.code === 'INSUFFICIENT_FUNDS') this.totals.declines++
        this.#count(this.commandSamples, 1)
        return
      }
      case 'bad':
        this.badRequests.total++
        if (!m.ok) this.badRequests.wrong.push(`bad request ${m.kind} got ${m.status}, expected ${m.expected.join('/')}`)
        if (m.kind !== 'reused-key' && m.key !== '') this.refusedKeys.add(m.key)
        return
      case 'tick':
        this.totals.reads += m.reads
        this.totals.readFailures += m.readFailures
        this.totals.shed += m.shed
        this.totals.retries += m.retries
        this.totals.timeouts += m.timeouts
        this.#count(this.querySamples, m.reads)
        return
      case 'done':
        this.totals.unknown = m.unknown
        return
      case 'ready':
        return
    }
  }

  /** Commands acknowledged in the last `seconds` (for the status line), per second. */
  rate(seconds: number): number {
    const last = Math.floor(this.#now() / SAMPLE_SECONDS)
    const count = Math.max(1, Math.round(seconds / SAMPLE_SECONDS))
    let sum = 0
    // The current sample is still filling: count the ones before it.
    for (let i = last - count; i < last; i++) sum += this.commandSamples[i] ?? 0
    return sum / (count * SAMPLE_SECONDS)
  }

  /** What the clients were told so far. */
  expectations(): Expectations {
    return { acked: this.acked, refusedKeys: this.refusedKeys, repeats: this.repeats, badRequests: this.badRequests }
  }

  /** A copy of what the clients were told so far (the replies keep coming while a check runs). */
  snapshot(): Expectations {
    return {
      acked: new Map(this.acked),
      refusedKeys: new Set(this.refusedKeys),
      repeats: { total: this.repeats.total, different: [...this.repeats.different] },
      badRequests: { total: this.badRequests.total, wrong: [...this.badRequests.wrong] },
    }
  }

  /** Asks the clients to stop (pending commands stay unknown) and waits until every reply is in. */
  async stop(): Promise<void> {
    this.#child.stdin?.write('stop\n')
    await this.exited
  }

  /** Kills the generator (cleanup after a failure). */
  kill(): void {
    this.#child.kill('SIGKILL')
  }
}
