/**
 * A goal of an issue, judged on one run: `measured` against `target`, the higher the better
 * (`atLeast`) or the lower (`atMost`). A goal whose figure was not measured in this run (for
 * example a 1 M-entry goal in a `--quick` run) carries `judged: false` and is printed as such.
 */
export interface BenchGoal {
  /** What is promised, e.g. "WAL 1 writer ≥ 1.5× better-sqlite3". */
  readonly goal: string
  readonly measured: number
  readonly target: number
  readonly direction: 'atLeast' | 'atMost'
  /** How `measured` and `target` read: '×' for ratios, 'tx/s', 's' and so on. */
  readonly unit: string
  /** False when the run's sizes do not allow the judgement (the reason is in `note`). */
  readonly judged?: boolean
  readonly note?: string
}

export const goalMet = (g: BenchGoal): boolean =>
  g.direction === 'atLeast' ? g.measured >= g.target : g.measured <= g.target

const figure = (n: number, unit: string): string => {
  if (!Number.isFinite(n)) return 'not measured'
  if (unit === '×') return `${n.toFixed(2)}×`
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)} M ${unit}`
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)} k ${unit}`
  return `${n >= 100 ? n.toFixed(0) : n.toPrecision(3)} ${unit}`
}

/** "met" / "NOT met" / "not judged", as the report prints it. */
export function verdict(g: BenchGoal): string {
  if (g.judged === false || !Number.isFinite(g.measured)) return 'not judged'
  return goalMet(g) ? 'met' : 'NOT met'
}

/** Renders goals as a Markdown table: goal, measured, target, verdict, note. */
export function renderGoals(goals: readonly BenchGoal[]): string {
  const lines = ['| goal | measured | target | verdict | note |', '|---|---:|---:|---|---|']
  for (const g of goals) {
    const target = `${g.direction === 'atLeast' ? '≥' : '≤'} ${figure(g.target, g.unit)}`
    lines.push(`| ${g.goal} | ${figure(g.measured, g.unit)} | ${target} | ${verdict(g)} | ${g.note ?? ''} |`)
  }
  return lines.join('\n')
}

/** Ops/s of a row found by subject (exact), or NaN when the run did not have it. */
export function rateOf(rows: readonly { subject: string; group: string; ops: number; seconds: number }[], group: string, subject: string): number {
  const row = rows.find((r) => r.group === group && r.subject === subject)
  return row === undefined ? Number.NaN : row.ops / row.seconds
}
