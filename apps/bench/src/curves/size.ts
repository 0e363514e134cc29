/** The store sizes every size curve is measured at, capped by `--max-entries`. */
export const SIZES = [10_000, 100_000, 1_000_000, 10_000_000] as const

/** The sizes of this run: those of {@link SIZES} up to `maxEntries` (at least the smallest). */
export const sizesUpTo = (maxEntries: number): number[] => {
  const sizes = SIZES.filter((n) => n <= maxEntries)
  return sizes.length > 0 ? sizes : [SIZES[0]]
}

/** Seconds since `started` (a `process.hrtime.bigint()` reading). */
export const since = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e9

/** Times an async step. */
export async function timed<T>(step: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint()
  const value = await step()
  return { value, seconds: since(started) }
}
