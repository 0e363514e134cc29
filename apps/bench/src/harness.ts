import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchCurve } from './curves.js'
import type { BenchGoal } from './goals.js'

/** One measured row: a subject (Quire or a peer) doing one kind of work. */
export interface BenchRow {
  /** The comparison group; ratios are computed within a group against its `baseline` row. */
  readonly group: string
  readonly subject: string
  readonly ops: number
  readonly seconds: number
  /** Bytes moved, when throughput in MB/s means something for this row. */
  readonly bytes?: number
  /** Marks the row other rows in the group are compared with. */
  readonly baseline?: boolean
  readonly note?: string
}

/** A bench suite: one file in `src/suites/`, run in a fresh temp directory on the real disk. */
export interface BenchSuite {
  readonly name: string
  /** The suite's table (`--curve table` alone runs only this). */
  run(ctx: BenchContext): Promise<BenchRow[]>
  /** Curves the suite draws, by id (`concurrency`, `size`, `latency`, `memory`); `--curve ID` runs one. */
  readonly curves?: Readonly<Record<string, (ctx: BenchContext) => Promise<BenchCurve[]>>>
}

export interface BenchContext {
  /** A fresh directory on the real disk (never tmpfs: fsync must mean something). */
  readonly dir: string
  /** `QUIRE_BENCH_SCALE` (default 1): multiply operation counts by it for longer, steadier runs. */
  readonly scale: number
  /** A fresh sub-directory of `dir` for one subject. */
  subdir(name: string): Promise<string>
  /** `--quick`: short rounds and small stores, to see that a suite or curve works, not to judge it. */
  readonly quick: boolean
  /** Largest store a size curve builds (`--max-entries`; 10 M in a full run, 100 k with `--quick`). */
  readonly maxEntries: number
  /** Seconds each subject runs per round at one point of a curve (`--point-seconds`). */
  readonly pointSeconds: number
  /** Records a goal of the issue, judged on this run; the report prints it as met / NOT met. */
  goal(goal: BenchGoal): void
}

/** Times `count` operations issued `concurrency` at a time; `op(i)` is awaited. */
export async function timeOps(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<{ ops: number; seconds: number }> {
  let next = 0
  const started = process.hrtime.bigint()
  const worker = async (): Promise<void> => {
    while (next < count) await op(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return { ops: count, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

/**
 * Runs `op` with `concurrency` callers for about `seconds` (no new operation starts after the
 * deadline; those in flight finish and count). For curves, where one op count cannot suit both
 * a 3 k/s and a 600 k/s subject.
 */
export async function timeFor(
  seconds: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<{ ops: number; seconds: number }> {
  let next = 0
  const started = process.hrtime.bigint()
  const deadline = started + BigInt(Math.round(seconds * 1e9))
  const worker = async (): Promise<void> => {
    while (process.hrtime.bigint() < deadline) await op(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { ops: next, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

/** Times a synchronous loop body run `count` times. */
export function timeSync(count: number, body: (i: number) => void): { ops: number; seconds: number } {
  const started = process.hrtime.bigint()
  for (let i = 0; i < count; i++) body(i)
  return { ops: count, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

export async function withBenchDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const root = process.env.QUIRE_BENCH_DIR ?? tmpdir()
  const dir = await mkdtemp(join(root, 'quire-bench-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const fmt = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0)

/** Renders rows as a Markdown table, with ops/s, MB/s and the ratio to the group's baseline. */
export function renderTable(rows: readonly BenchRow[]): string {
  const lines = ['| group | subject | ops/s | MB/s | × baseline | note |', '|---|---|---:|---:|---:|---|']
  for (const row of rows) {
    const rate = row.ops / row.seconds
    const base = rows.find((r) => r.group === row.group && r.baseline)
    const ratio = base ? rate / (base.ops / base.seconds) : undefined
    const mbs = row.bytes === undefined ? '' : (row.bytes / row.seconds / 1e6).toFixed(0)
    lines.push(
      `| ${row.group} | ${row.subject} | ${fmt(rate)} | ${mbs} | ${ratio === undefined ? '' : ratio.toFixed(2)} | ${row.note ?? ''} |`,
    )
  }
  return lines.join('\n')
}

/** One subject of an interleaved group: `op(i)` is one operation (awaited). */
export interface InterleavedSubject {
  readonly subject: string
  readonly ops: number
  readonly op: (i: number) => Promise<unknown>
  readonly baseline?: boolean
  readonly note?: string
  /** Overrides the group's concurrency. */
  readonly concurrency?: number
}

/**
 * Runs the subjects of a group in interleaved rounds (A, B, C, A, B, C, ...), so that a disk
 * flush or a noisy neighbour slows them alike, and sums each subject's time over the rounds.
 * Each subject first runs `warmupOps` untimed operations.
 */
export async function timeInterleaved(
  group: string,
  subjects: readonly InterleavedSubject[],
  options: { concurrency: number; rounds?: number; warmupOps?: number; bytesPerOp?: number },
): Promise<BenchRow[]> {
  const rounds = options.rounds ?? 3
  const seconds = subjects.map(() => 0)
  const done = subjects.map(() => 0)
  const next = subjects.map(() => 0)
  for (const [j, s] of subjects.entries()) for (let i = 0; i < (options.warmupOps ?? 3); i++) await s.op(next[j]!++)
  for (let round = 0; round < rounds; round++) {
    for (const [j, s] of subjects.entries()) {
      const perRound = Math.max(1, Math.floor(s.ops / rounds))
      const base = next[j]!
      next[j]! += perRound
      seconds[j]! += (await timeOps(perRound, s.concurrency ?? options.concurrency, (i) => s.op(base + i))).seconds
      done[j]! += perRound
    }
  }
  return subjects.map((s, j) => ({
    group,
    subject: s.subject,
    ops: done[j]!,
    seconds: seconds[j]!,
    ...(options.bytesPerOp === undefined ? {} : { bytes: done[j]! * options.bytesPerOp }),
    ...(s.baseline === true ? { baseline: true } : {}),
    ...(s.note === undefined ? {} : { note: s.note }),
  }))
}

/** One subject of a curve point: `op(i)` is one operation (awaited); `i` never repeats. */
export interface PointSubject {
  readonly series: string
  readonly op: (i: number) => Promise<unknown>
}

// The next `i` of each subject, kept across points: a subject measured at 1, then at 4 writers
// goes on with fresh ids (a new stream name, a new key) instead of starting again at 0.
const nextIds = new WeakMap<PointSubject, number>()
const idsFor = (s: PointSubject): { take(): number } => ({
  take() {
    const i = nextIds.get(s) ?? 0
    nextIds.set(s, i + 1)
    return i
  },
})

/**
 * Measures every subject at one `concurrency` in interleaved rounds of about `seconds` each
 * (A, B, C, A, B, C, ...), after a short untimed warm-up; returns each subject's ops/s over
 * its rounds. The time-bound rounds let one point hold subjects whose rates differ 100×.
 */
export async function ratesAt(
  subjects: readonly PointSubject[],
  concurrency: number,
  options: { seconds: number; rounds?: number },
): Promise<Map<string, number>> {
  const rounds = options.rounds ?? 3
  const total = subjects.map(() => ({ ops: 0, seconds: 0 }))
  const run = async (s: PointSubject, seconds: number): Promise<{ ops: number; seconds: number }> => {
    const ids = idsFor(s)
    return timeFor(seconds, concurrency, () => s.op(ids.take()))
  }
  for (const s of subjects) await run(s, Math.min(0.05, options.seconds))
  for (let round = 0; round < rounds; round++) {
    for (const [j, s] of subjects.entries()) {
      const t = await run(s, options.seconds)
      total[j]!.ops += t.ops
      total[j]!.seconds += t.seconds
    }
  }
  return new Map(subjects.map((s, j) => [s.series, total[j]!.ops / total[j]!.seconds]))
}

/**
 * Times `count` single operations, one at a time, for each subject in interleaved slices of
 * `count / rounds`; returns each subject's per-operation latencies in milliseconds.
 */
export async function latenciesOf(
  subjects: readonly PointSubject[],
  count: number,
  rounds = 4,
): Promise<Map<string, number[]>> {
  const samples = subjects.map((): number[] => [])
  for (const s of subjects) for (let k = 0; k < 20; k++) await s.op(idsFor(s).take())
  const perRound = Math.ceil(count / rounds)
  for (let round = 0; round < rounds; round++) {
    for (const [j, s] of subjects.entries()) {
      const ids = idsFor(s)
      for (let k = 0; k < perRound; k++) {
        const i = ids.take()
        const started = process.hrtime.bigint()
        await s.op(i)
        samples[j]!.push(Number(process.hrtime.bigint() - started) / 1e6)
      }
    }
  }
  return new Map(subjects.map((s, j) => [s.series, samples[j]!]))
}
