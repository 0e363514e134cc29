import { describe, expect, it } from 'vitest'
import { renderSvg } from '../src/chart-render.js'
import { suiteChartSpec } from '../src/chart-spec.js'
import { isQuire, renderCurve, type BenchCurve } from '../src/curves.js'
import type { BenchRow } from '../src/harness.js'

const rows: BenchRow[] = [
  { group: 'durable put, 1 writer', subject: 'raw write + fdatasync loop', ops: 4500, seconds: 1, baseline: true },
  { group: 'durable put, 1 writer', subject: '@quire/wal', ops: 3600, seconds: 1 },
  { group: 'replay', subject: '@quire/wal replay()', ops: 1_380_000, seconds: 1 },
]
const curve: BenchCurve = {
  id: 'concurrency',
  title: 'durable put against writers',
  x: { title: 'concurrent writers', log: true },
  y: { title: 'ops/s', log: true },
  points: [
    { series: '@quire/wal', x: 1, y: 3600 },
    { series: '@quire/wal', x: 256, y: 330_000 },
    { series: 'lmdb', x: 1, y: 2800 },
    { series: 'lmdb', x: 256, y: 0 },
  ],
}

describe('suiteChartSpec', () => {
  const spec = suiteChartSpec('wal', rows, [curve]) as unknown as { vconcat: Record<string, unknown>[] }

  it('has one bar panel per table group, then one line panel per curve', () => {
    expect(spec.vconcat.map((p) => p.title)).toEqual(['durable put, 1 writer', 'replay', 'durable put against writers'])
    expect(spec.vconcat.map((p) => (p.mark as { type: string }).type)).toEqual(['bar', 'bar', 'line'])
  })

  it('puts every series of a curve on the same log axes and drops points a log scale cannot show', () => {
    const panel = spec.vconcat[2]!
    const enc = panel.encoding as Record<string, { scale?: { type: string } }>
    expect(enc.x!.scale!.type).toBe('log')
    expect(enc.y!.scale!.type).toBe('log')
    const values = (panel.data as { values: { series: string; kind: string }[] }).values
    expect(values.map((v) => v.series)).toEqual(['@quire/wal', '@quire/wal', 'lmdb'])
    expect(values.map((v) => v.kind)).toEqual(['Quire', 'Quire', 'peer / floor'])
  })

  it('draws a group on a log axis only when its rates span more than 20×', () => {
    const wide = suiteChartSpec('x', [...rows.slice(0, 2), { group: 'durable put, 1 writer', subject: 'lmdb', ops: 10, seconds: 1 }], []) as unknown as {
      vconcat: { encoding: { x: { scale: { type: string } } } }[]
    }
    expect(wide.vconcat[0]!.encoding.x.scale.type).toBe('log')
    // A log bar cannot start at 0: it starts at the decade below the slowest subject (10 ops/s).
    expect((wide.vconcat[0] as unknown as { data: { values: { base: number }[] } }).data.values.map((v) => v.base)).toEqual([10, 10, 10])
    const narrow = spec.vconcat[0] as { encoding: { x: { scale: { type: string } } } }
    expect(narrow.encoding.x.scale.type).toBe('linear')
  })

  it('renders to an SVG document naming every subject', async () => {
    const svg = await renderSvg(suiteChartSpec('wal', rows, [curve]))
    expect(svg.startsWith('<svg')).toBe(true)
    for (const name of ['@quire/wal', 'lmdb', 'raw write + fdatasync loop']) expect(svg).toContain(name)
  })
})

describe('curves', () => {
  it('tells Quire subjects from peers', () => {
    expect(['@quire/wal', 'Quire walBackend', "NdjsonLog sync 'always'", 'RecordKeeper.add'].every(isQuire)).toBe(true)
    expect(['lmdb', 'better-sqlite3 (WAL)', 'sonic-boom', 'raw write + fdatasync loop'].some(isQuire)).toBe(false)
  })

  it('renders a curve as a table of series by x, in x order', () => {
    expect(renderCurve(curve).split('\n')).toEqual([
      '| ops/s \\ concurrent writers | 1 | 256 |',
      '|---|---:|---:|',
      '| @quire/wal | 3600 | 330.0 k |',
      '| lmdb | 2800 | 0 |',
    ])
  })
})

describe('series colours', () => {
  it('keeps a series in one colour across the panels of a suite', () => {
    const other: BenchCurve = { ...curve, id: 'latency', title: 'latency', points: [{ series: 'lmdb', x: 1, y: 1 }, { series: '@quire/wal', x: 1, y: 2 }] }
    const spec = suiteChartSpec('wal', [], [curve, other]) as unknown as {
      vconcat: { encoding: { color: { scale: { domain: string[]; range: string[] } } } }[]
    }
    const colourOf = (panel: number, series: string): string | undefined => {
      const { domain, range } = spec.vconcat[panel]!.encoding.color.scale
      return range[domain.indexOf(series)]
    }
    expect(colourOf(1, 'lmdb')).toBe(colourOf(0, 'lmdb'))
    expect(colourOf(1, '@quire/wal')).toBe(colourOf(0, '@quire/wal'))
    expect(colourOf(0, 'lmdb')).not.toBe(colourOf(0, '@quire/wal'))
  })
})

describe('long curves', () => {
  it('are summarised in the report as first, max and last per series', () => {
    const points = Array.from({ length: 20 }, (_, t) => ({ series: '@quire/mvcc', x: t, y: t === 5 ? 900 : 100 + t }))
    const table = renderCurve({ id: 'memory', title: 'rss', x: { title: 's' }, y: { title: 'MiB' }, points })
    expect(table.split('\n')).toEqual(['| MiB | first | max | last |', '|---|---:|---:|---:|', '| @quire/mvcc | 100 | 900 | 119 |'])
  })
})
