import * as echarts from 'echarts'

/** One sample of the run: acknowledged commands and answered queries per second around `t`. */
export interface ThroughputSample {
  /** Seconds since the story started. */
  readonly t: number
  readonly commandsPerSecond: number
  readonly queriesPerSecond: number
}

/** A kill (or power cut) and when the service served again. */
export interface Outage {
  readonly label: string
  /** Seconds since the story started. */
  readonly at: number
  /** Seconds since the story started; `undefined` when the run ended with it. */
  readonly backAt: number | undefined
}

/**
 * An SVG picture of the run: throughput over time, each kill a dashed red line, the time until
 * the service served again shaded. Rendered server-side by Apache ECharts (`ssr: true`).
 */
export function throughputChart(options: { readonly title: string; readonly subtitle: string; readonly samples: readonly ThroughputSample[]; readonly outages: readonly Outage[] }): string {
  const end = Math.max(1, ...options.samples.map((s) => s.t), ...options.outages.map((o) => o.backAt ?? o.at))
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 1200, height: 480 })
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: options.title, subtext: options.subtitle, left: 16, top: 8 },
    legend: { data: ['commands acknowledged / s', 'queries answered / s'], bottom: 4 },
    grid: { left: 72, right: 32, top: 84, bottom: 72 },
    xAxis: { type: 'value', name: 'seconds', nameLocation: 'middle', nameGap: 30, min: 0, max: Math.ceil(end) },
    yAxis: { type: 'value', name: 'per second' },
    series: [
      {
        name: 'commands acknowledged / s',
        type: 'line',
        showSymbol: false,
        lineStyle: { width: 1.5 },
        data: options.samples.map((s) => [s.t, Math.round(s.commandsPerSecond)]),
        markLine: {
          symbol: 'none',
          label: { formatter: '{b}', position: 'insideEndTop', color: '#b00' },
          lineStyle: { color: '#c00', type: 'dashed', width: 1.5 },
          data: options.outages.map((o) => ({ name: o.label, xAxis: o.at })),
        },
        markArea: {
          itemStyle: { color: 'rgba(200, 0, 0, 0.08)' },
          label: { show: false },
          data: options.outages.map((o) => [{ xAxis: o.at }, { xAxis: o.backAt ?? end }]),
        },
      },
      {
        name: 'queries answered / s',
        type: 'line',
        showSymbol: false,
        lineStyle: { width: 1, opacity: 0.7 },
        data: options.samples.map((s) => [s.t, Math.round(s.queriesPerSecond)]),
      },
    ],
  })
  const svg = chart.renderToSVGString()
  chart.dispose()
  return svg
}
