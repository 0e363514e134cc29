/** Latency percentiles of one subject, in milliseconds. */
export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p99: number
  readonly p999: number
  readonly max: number
}

/**
 * The `q`-quantile (0 ≤ q ≤ 1) of ascending `sorted` samples by the nearest-rank method: the
 * smallest sample with at least `q` of all samples at or below it (so p99.9 of 1000 samples is
 * the 999th, never an interpolation between two measured values). Throws on an empty array or a
 * `q` outside [0, 1].
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples')
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`)
  const rank = Math.max(1, Math.ceil(q * sorted.length))
  return sorted[rank - 1]!
}

/** Summarises latency samples (any order, milliseconds); p99.9 needs ≥ 1000 samples to mean anything. */
export function summarise(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort()
  const arr = Array.from(sorted)
  return {
    count: arr.length,
    p50: percentile(arr, 0.5),
    p99: percentile(arr, 0.99),
    p999: percentile(arr, 0.999),
    max: arr[arr.length - 1] ?? Number.NaN,
  }
}
