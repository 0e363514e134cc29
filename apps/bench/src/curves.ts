/** One measured point of a curve: `series` (a subject: Quire or a peer) at `x`. */
export interface CurvePoint {
  readonly series: string
  readonly x: number | string
  readonly y: number
}

/** An axis of a curve. */
export interface CurveAxis {
  readonly title: string
  /** Log scale: for ranges over more than a decade (writers 1..1024, sizes 10 k..10 M). */
  readonly log?: boolean
  /** Categories rather than numbers (e.g. p50 / p99 / p99.9), kept in the order of first appearance. */
  readonly ordinal?: boolean
}

/**
 * A curve a suite measured: how one cost grows with one variable, Quire and its peers as
 * series on the same axes. `id` names it on the command line (`--curve concurrency`).
 */
export interface BenchCurve {
  readonly id: string
  readonly title: string
  readonly x: CurveAxis
  readonly y: CurveAxis
  readonly points: readonly CurvePoint[]
  /** Said under the curve's table in the report (method, what a series is, sizes of this run). */
  readonly note?: string
}

/** Whether a series or row subject is Quire's own (drawn solid) rather than a peer or a floor. */
export const isQuire = (subject: string): boolean => /quire|NdjsonLog|RecordKeeper|MvccStore/i.test(subject)

const cell = (y: number | undefined): string => {
  if (y === undefined || !Number.isFinite(y)) return ''
  if (y >= 1e6) return `${(y / 1e6).toFixed(2)} M`
  if (y >= 1e4) return `${(y / 1e3).toFixed(1)} k`
  return y >= 100 || y === 0 ? y.toFixed(0) : y.toPrecision(3)
}

/** An x value as a column head: 1, 256, 10 k, 1 M. */
const head = (x: number | string): string => {
  if (typeof x === 'string') return x
  if (x >= 1e6 && x % 1e6 === 0) return `${x / 1e6} M`
  if (x >= 1e3 && x % 1e3 === 0) return `${x / 1e3} k`
  return String(x)
}

/** Curves with more x values than this are summarised in the report (first, max, last). */
const MAX_COLUMNS = 12

/** Renders a curve as a Markdown table: one row per series, one column per x (or a summary). */
export function renderCurve(curve: BenchCurve): string {
  const xs = [...new Set(curve.points.map((p) => p.x))]
  if (!curve.x.ordinal) xs.sort((a, b) => Number(a) - Number(b))
  const series = [...new Set(curve.points.map((p) => p.series))]
  if (xs.length > MAX_COLUMNS) {
    const lines = [`| ${curve.y.title} | first | max | last |`, '|---|---:|---:|---:|']
    for (const s of series) {
      const ys = curve.points.filter((p) => p.series === s).map((p) => p.y)
      lines.push(`| ${s} | ${cell(ys[0])} | ${cell(Math.max(...ys))} | ${cell(ys[ys.length - 1])} |`)
    }
    return lines.join('\n')
  }
  const lines = [
    `| ${curve.y.title} \\ ${curve.x.title} | ${xs.map(head).join(' | ')} |`,
    `|---|${xs.map(() => '---:').join('|')}|`]
  for (const s of series) {
    const ys = xs.map((x) => cell(curve.points.find((p) => p.series === s && p.x === x)?.y))
    lines.push(`| ${s} | ${ys.join(' | ')} |`)
  }
  return lines.join('\n')
}
