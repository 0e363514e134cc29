import { appendFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { once } from 'node:events'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import type { SonicBoom as SonicBoomClass } from 'sonic-boom'
import { NdjsonLog } from '@quire/ndjson-log'
import { timeOps, timeSync, type BenchRow, type BenchSuite } from '../harness.js'
import { ndjsonCurves } from './ndjson-log/curves.js'
import { event } from './ndjson-log/event.js'

// Goals from issue 4: sync 'always' with 256 concurrent appenders >= 150 k durable events/s;
// sync 'none' >= 1.2x sonic-boom; read-back >= 500 k records/s. Everything runs in one process,
// on the real disk (ctx.dir), one after the other.
const GOAL_DURABLE_PER_S = 150_000
const GOAL_NONE_VS_SONIC = 1.2
const GOAL_READ_PER_S = 500_000

// sonic-boom is CommonJS: module.exports is the class itself.
const SonicBoom = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoomClass

const note = (met: boolean, goal: string): string => `goal ${goal}: ${met ? 'met' : 'NOT met'}`

/** Runs `body` and says how much CPU time this process spent per operation (µs), GC included. */
async function withCpu<T extends { ops: number }>(body: () => Promise<T>): Promise<T & { cpuUsPerOp: number }> {
  const before = process.cpuUsage()
  const result = await body()
  const used = process.cpuUsage(before)
  return { ...result, cpuUsPerOp: (used.user + used.system) / result.ops }
}

const cpu = (r: { cpuUsPerOp: number }): string => `${r.cpuUsPerOp.toFixed(1)} µs CPU/event`

export const suite: BenchSuite = {
  name: 'ndjson-log',
  curves: ndjsonCurves,
  async run(ctx) {
    const rows: BenchRow[] = []
    const n = Math.round(100_000 * ctx.scale)
    const events = Array.from({ length: n }, (_, i) => event(i))
    const eventBytes = events.reduce<number>((sum, e) => sum + JSON.stringify(e).length + 1, 0)
    const avg = Math.round(eventBytes / n)
    const group = `append ${avg} B events`

    // The reference's pattern: open, append one line, close, per event; no fsync.
    {
      const path = join(await ctx.subdir('reference'), 'events.ndjson')
      const t = timeSync(n, (i) => appendFileSync(path, JSON.stringify(events[i]) + '\n'))
      rows.push({ group, subject: 'reference: appendFileSync per event (no fsync)', ...t, bytes: eventBytes, baseline: true })
    }

    // pino's writer: buffered, asynchronous, no fsync.
    let sonicRate = 0
    {
      const path = join(await ctx.subdir('sonic'), 'events.ndjson')
      const started = process.hrtime.bigint()
      const sonicCpu = process.cpuUsage()
      const sonic = new SonicBoom({ dest: path, sync: false, minLength: 4096 })
      for (let i = 0; i < n; i++) {
        if (!sonic.write(JSON.stringify(events[i]) + '\n')) await once(sonic, 'drain')
      }
      sonic.end()
      await once(sonic, 'close')
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const used = process.cpuUsage(sonicCpu)
      sonicRate = n / seconds
      rows.push({ group, subject: 'sonic-boom (no fsync)', ops: n, seconds, bytes: eventBytes, note: cpu({ cpuUsPerOp: (used.user + used.system) / n }) })
    }

    // The floor: serializing alone.
    {
      let sink = 0
      const t = timeSync(n, (i) => {
        sink += JSON.stringify(events[i]).length
      })
      if (sink === 0) throw new Error('unreachable')
      rows.push({ group, subject: 'JSON.stringify alone (no I/O)', ...t, bytes: eventBytes })
    }

    // NdjsonLog, durable: 256 appenders, each awaiting its append (group commit).
    const durablePath = join(await ctx.subdir('durable'), 'events.ndjson')
    {
      const log = await NdjsonLog.open(durablePath, { sync: 'always' })
      const { cpuUsPerOp, ...result } = await withCpu(() => timeOps(n, 256, (i) => log.append(events[i]!)))
      await log.close()
      const rate = result.ops / result.seconds
      rows.push({
        group,
        subject: "NdjsonLog sync 'always', 256 concurrent",
        ...result,
        bytes: eventBytes,
        note: `${note(rate >= GOAL_DURABLE_PER_S, '≥ 150 k/s durable')}; ${cpu({ cpuUsPerOp })}`,
      })
    }

    // NdjsonLog, durable, one appender at a time: every append waits for its own fdatasync.
    {
      const m = Math.round(3_000 * ctx.scale)
      const log = await NdjsonLog.open(join(await ctx.subdir('serial'), 'events.ndjson'), { sync: 'always' })
      const result = await timeOps(m, 1, (i) => log.append(events[i]!))
      await log.close()
      rows.push({ group, subject: "NdjsonLog sync 'always', 1 at a time", ...result, bytes: Math.round((eventBytes / n) * m), note: 'one fdatasync per event' })
    }

    // NdjsonLog, not durable: acknowledged once written to the OS.
    {
      const log = await NdjsonLog.open(join(await ctx.subdir('none'), 'events.ndjson'), { sync: 'none' })
      const { cpuUsPerOp, ...result } = await withCpu(() => timeOps(n, 256, (i) => log.append(events[i]!)))
      await log.close()
      const ratio = result.ops / result.seconds / sonicRate
      rows.push({
        group,
        subject: "NdjsonLog sync 'none', 256 concurrent",
        ...result,
        bytes: eventBytes,
        note: `${ratio.toFixed(2)}× sonic-boom; ${note(ratio >= GOAL_NONE_VS_SONIC, '≥ 1.2× sonic-boom')}; ${cpu({ cpuUsPerOp })}`,
      })
    }

    // Reading back the durable log: checksums checked, records parsed (Dates revived).
    {
      const log = await NdjsonLog.open(durablePath)
      let count = 0
      const started = process.hrtime.bigint()
      const { cpuUsPerOp } = await withCpu(async () => {
        for await (const entry of log.read()) if (entry.seq > 0) count++
        return { ops: Math.max(1, count) }
      })
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      await log.close()
      if (count !== n) throw new Error(`read back ${count} of ${n} records`)
      const rate = count / seconds
      // Issue 17's floor: JSON.parse alone over the same lines (read and split untimed).
      const lines = (await readFile(durablePath, 'utf8')).split('\n').filter((l) => l.startsWith('{'))
      let sink = 0
      const parse = timeSync(lines.length, (i) => {
        sink += Object.keys(JSON.parse(lines[i]!) as object).length
      })
      if (sink === 0) throw new Error('unreachable')
      const parseRate = parse.ops / parse.seconds
      ctx.goal({ goal: 'NDJSON read-back ≥ 500 k records/s', measured: rate, target: GOAL_READ_PER_S, direction: 'atLeast', unit: 'records/s' })
      ctx.goal({ goal: 'NDJSON read-back ≥ 0.8× JSON.parse alone over the same lines', measured: rate / parseRate, target: 0.8, direction: 'atLeast', unit: '×' })
      rows.push({ group: 'read back', subject: 'JSON.parse alone over the same lines', ...parse, bytes: eventBytes, note: `${lines.length} lines, read and split untimed` })
      rows.push({
        group: 'read back',
        subject: 'NdjsonLog read() (CRC checked, parsed)',
        ops: count,
        seconds,
        bytes: eventBytes,
        baseline: true,
        note: `${note(rate >= GOAL_READ_PER_S, '≥ 500 k/s')}; ${cpuUsPerOp.toFixed(1)} µs CPU/record`,
      })
    }
    return rows
  },
}
