import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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
  run(ctx: BenchContext): Promise<BenchRow[]>
}

export interface BenchContext {
  /** A fresh directory on the real disk (never tmpfs: fsync must mean something). */
  readonly dir: string
  /** `QUIRE_BENCH_SCALE` (default 1): multiply operation counts by it for longer, steadier runs. */
  readonly scale: number
  /** A fresh sub-directory of `dir` for one subject. */
  subdir(name: string): Promise<string>
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
