import { rm } from 'node:fs/promises'
import type { BenchContext } from '../harness.js'

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

/**
 * Runs `body` once per size of this run, each time in a fresh directory that is deleted as soon
 * as the size's points are taken: every subject is built to exactly `n` entries from empty, so
 * that all series of a size curve share the same x values (a store grown from the previous size
 * would carry that size's timed writes), and a 10 M-entry store never waits on the disk for the
 * next one.
 */
export async function forEachSize(ctx: Pick<BenchContext, 'maxEntries' | 'subdir'>, tag: string, body: (n: number, dir: string) => Promise<void>): Promise<void> {
  for (const n of sizesUpTo(ctx.maxEntries)) {
    const dir = await ctx.subdir(`${tag}-${n}`)
    const started = process.hrtime.bigint()
    try {
      await body(n, dir)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    process.stdout.write(`  ${sizeLabel(n)}: fill, open and writers took ${since(started).toFixed(0)} s\n`)
  }
}

/** Fill progress is printed for stores of at least this many entries (smaller fills take a second or less). */
const PROGRESS_FROM = 1_000_000

/**
 * A progress reporter for an untimed fill of `total` entries: `report(done)` prints a line each
 * time `done` passes another tenth of `total` (only for fills of 1 M entries or more), so that a
 * long run shows it is alive. `out` is where lines go (stderr in a child, whose stdout carries its
 * result).
 */
export function fillProgress(label: string, total: number, out: NodeJS.WritableStream = process.stdout): (done: number) => void {
  const started = process.hrtime.bigint()
  const step = Math.ceil(total / 10)
  let next = step
  return (done) => {
    if (total < PROGRESS_FROM || done < next) return
    while (next <= done) next += step
    out.write(`    fill ${label}: ${done.toLocaleString('en')} of ${total.toLocaleString('en')} (${since(started).toFixed(0)} s)\n`)
  }
}

/** The size as a short label: 10 k, 1 M. */
export const sizeLabel = (n: number): string => (n >= 1e6 ? `${n / 1e6} M` : `${n / 1e3} k`)
