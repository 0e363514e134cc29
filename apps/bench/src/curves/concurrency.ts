import type { BenchCurve } from '../curves.js'
import { ratesAt, type BenchContext, type PointSubject } from '../harness.js'

/** The writer counts every concurrency curve is measured at. */
export const WRITERS = [1, 4, 16, 64, 256, 1024] as const

/**
 * Throughput against concurrency: every subject at 1, 4, 16, 64, 256 and 1024 concurrent
 * callers, subjects interleaved at each point (see {@link ratesAt}). A subject with a
 * synchronous API still runs with N callers: they queue, which is what its user sees.
 */
export async function concurrencyCurve(
  ctx: BenchContext,
  title: string,
  subjects: readonly PointSubject[],
  note?: string,
): Promise<BenchCurve> {
  const points: { series: string; x: number; y: number }[] = []
  for (const writers of WRITERS) {
    const rates = await ratesAt(subjects, writers, { seconds: ctx.pointSeconds, rounds: ctx.quick ? 2 : 3 })
    for (const [series, y] of rates) points.push({ series, x: writers, y })
    process.stdout.write(`  ${writers} writers: ${[...rates].map(([s, r]) => `${s} ${Math.round(r)}/s`).join(', ')}\n`)
  }
  return {
    id: 'concurrency',
    title,
    x: { title: 'concurrent writers', log: true },
    y: { title: 'ops/s', log: true },
    points,
    note: `${ctx.pointSeconds} s per subject per round, ${ctx.quick ? 2 : 3} interleaved rounds per point${note === undefined ? '' : `; ${note}`}`,
  }
}
