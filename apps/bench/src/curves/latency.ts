import type { BenchCurve } from '../curves.js'
import { latenciesOf, type BenchContext, type PointSubject } from '../harness.js'
import { summarise } from '../percentiles.js'

/**
 * Latency percentiles (p50, p99, p99.9) of single operations awaited one at a time, every
 * subject sampled in interleaved slices. 1000 samples at least, so that p99.9 is a sample.
 */
export async function latencyCurve(ctx: BenchContext, title: string, subjects: readonly PointSubject[]): Promise<BenchCurve> {
  const count = ctx.quick ? 1_000 : 5_000
  const samples = await latenciesOf(subjects, count)
  const points: { series: string; x: string; y: number }[] = []
  for (const [series, ms] of samples) {
    const s = summarise(ms)
    points.push({ series, x: 'p50', y: s.p50 }, { series, x: 'p99', y: s.p99 }, { series, x: 'p99.9', y: s.p999 })
    process.stdout.write(`  ${series}: p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms, p99.9 ${s.p999.toFixed(3)} ms (${s.count})\n`)
  }
  return {
    id: 'latency',
    title,
    x: { title: 'percentile', ordinal: true },
    y: { title: 'latency (ms, lower is better)', log: true },
    points,
    note: `${count} operations per subject, one at a time, in 4 interleaved slices; nearest-rank percentiles`,
  }
}
