import type { BenchCurve, CurvePoint } from '../curves.js'
import type { BenchContext } from '../harness.js'
import { runChild } from '../children/run-child.js'

interface Sustained {
  readonly ops: number
  readonly seconds: number
  readonly samples: readonly { t: number; rss: number; heap: number }[]
}

/**
 * Resident memory under a sustained durable load: each subject runs alone in a fresh process
 * (so one's heap does not weigh on another's reading) with `writers` concurrent writers for
 * 10 × the point time (30 s in a full run), RSS sampled every 250 ms (reported on that grid). `subjects` maps a series
 * name to a kind of `children/sustained.ts`.
 */
export async function memoryCurve(
  ctx: BenchContext,
  title: string,
  subjects: readonly { series: string; kind: string }[],
  writers = 256,
): Promise<BenchCurve> {
  const seconds = ctx.quick ? 2 : Math.max(10, 10 * ctx.pointSeconds * 3)
  const points: CurvePoint[] = []
  const rates: string[] = []
  for (const s of subjects) {
    const got = await runChild<Sustained>('sustained', [s.kind, await ctx.subdir(`sustained-${s.kind}`), String(seconds), String(writers)])
    for (const m of got.samples) points.push({ series: s.series, x: m.t, y: m.rss / 2 ** 20 })
    const peak = Math.max(...got.samples.map((m) => m.rss)) / 2 ** 20
    rates.push(`${s.series}: ${Math.round(got.ops / got.seconds)} ops/s, peak RSS ${peak.toFixed(0)} MiB`)
    process.stdout.write(`  ${rates[rates.length - 1]!}\n`)
  }
  return {
    id: 'memory',
    title,
    x: { title: 'seconds of sustained load' },
    y: { title: 'resident memory (MiB)' },
    points,
    note: `${writers} durable writers for ${seconds} s, each subject alone in a fresh process; ${rates.join('; ')}`,
  }
}
