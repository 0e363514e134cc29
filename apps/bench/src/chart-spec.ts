import type { TopLevelSpec } from 'vega-lite'
import { isQuire, type BenchCurve } from './curves.js'
import type { BenchRow } from './harness.js'

// One chart per suite, as a Vega-Lite spec (https://vega.github.io/vega-lite/): a bar panel per
// table group (ops/s of every subject, Quire and peers on one axis) and a line panel per curve.
// Quire's series are drawn solid, peers and floors dashed, so a reader finds Quire at a glance;
// a series keeps its colour in every panel of the chart.

/** One panel of a vertical concatenation, as Vega-Lite's own types have it. */
type Panel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number]

const WIDTH = 520
/** Tableau 10 then its lighter half: distinct, and kind to colour-blind readers for the first 10. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#a0cbe8', '#ffbe7d', '#ff9d9a', '#86bcb6', '#8cd17d', '#f1ce63', '#d4a6c8', '#fabfd2', '#d7b5a6', '#79706e']

/** Colours by series, in order of first appearance across the suite's curves. */
type Colours = ReadonlyMap<string, string>
const kindOf = (subject: string): string => (isQuire(subject) ? 'Quire' : 'peer / floor')

/**
 * A bar panel for one table group: ops/s per subject, log scale when the rates span > 20×. On a
 * log scale a bar cannot start at 0: bars start at the decade below the slowest subject.
 */
function groupPanel(group: string, rows: readonly BenchRow[]): Panel {
  const rates = rows.map((r) => r.ops / r.seconds).filter((r) => r > 0 && Number.isFinite(r))
  const log = rates.length > 1 && Math.max(...rates) / Math.min(...rates) > 20
  const base = log ? 10 ** Math.floor(Math.log10(Math.min(...rates))) : 0
  const values = rows
    .map((r) => ({ subject: r.subject, rate: r.ops / r.seconds, base, kind: kindOf(r.subject) }))
    .filter((v) => !log || v.rate > 0)
  return {
    title: group,
    width: WIDTH,
    data: { values },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'subject', type: 'nominal', sort: null, title: null, axis: { labelLimit: 480 } },
      x: {
        field: 'rate',
        type: 'quantitative',
        title: `ops/s (higher is better${log ? ', log scale' : ''})`,
        scale: log ? { type: 'log', domainMin: base } : { type: 'linear' },
      },
      x2: { field: 'base' },
      color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['Quire', 'peer / floor'], range: ['#1f6fb4', '#b0b0b0'] } },
    },
  }
}

/** A line panel for one curve: every series on the same axes. */
function curvePanel(curve: BenchCurve, colours: Colours): Panel {
  const values = curve.points
    .filter((p) => Number.isFinite(p.y) && (!curve.y.log || p.y > 0))
    .map((p) => ({ ...p, kind: kindOf(p.series) }))
  const series = [...new Set(values.map((v) => v.series))]
  const axis = (a: BenchCurve['x'], field: 'x' | 'y') =>
    a.ordinal
      ? ({ field, type: 'ordinal', title: a.title, sort: null, axis: { labelAngle: 0 } } as const)
      : ({ field, type: 'quantitative', title: a.title, scale: a.log ? { type: 'log' as const, nice: field === 'y' } : { type: 'linear' as const, zero: false } } as const)
  return {
    title: curve.title,
    width: WIDTH,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: axis(curve.x, 'x'),
      y: axis(curve.y, 'y'),
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: series, range: series.map((s) => colours.get(s) ?? '#000000') },
        legend: { orient: 'right', labelLimit: 360 },
      },
      strokeDash: {
        field: 'kind',
        type: 'nominal',
        title: null,
        scale: { domain: ['Quire', 'peer / floor'], range: [[1, 0], [6, 3]] },
        legend: null,
      },
    },
  }
}

/**
 * The Vega-Lite spec of one suite's chart: its table groups as bar panels, then its curves as
 * line panels, stacked vertically. Pure (no rendering), so it is tested on its own.
 */
export function suiteChartSpec(suite: string, rows: readonly BenchRow[], curves: readonly BenchCurve[]): TopLevelSpec {
  const groups = [...new Set(rows.map((r) => r.group))]
  const colours = new Map([...new Set(curves.flatMap((c) => c.points.map((p) => p.series)))].map((s, i) => [s, PALETTE[i % PALETTE.length]!]))
  const panels = [
    ...groups.map((g) => groupPanel(g, rows.filter((r) => r.group === g))),
    ...curves.filter((c) => c.points.length > 0).map((c) => curvePanel(c, colours)),
  ]
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Quire bench: ${suite}`,
      subtitle: 'bars: blue = Quire, grey = peers and floors; lines: solid = Quire, dashed = peers and floors',
      anchor: 'start',
      fontSize: 16,
    },
    config: { font: 'sans-serif', legend: { symbolStrokeWidth: 2, labelLimit: 420 } },
    vconcat: panels,
    // Panels share no scale: a linear and a log x in one column would break each other.
    resolve: { scale: { x: 'independent', y: 'independent', color: 'independent', strokeDash: 'independent' } },
  }
}
