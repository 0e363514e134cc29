import { setImmediate as nextTurn } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** What became of the operations {@link offerMany} offered. */
export interface OfferOutcome {
  /** Operations that resolved. */
  readonly acked: number
  /** Rejections by their `code` (`'(none)'` for an error without one). */
  readonly refusedByCode: ReadonlyMap<string, number>
  /** The first few rejections that were not `OVERLOADED`, for the failure message. */
  readonly otherErrors: readonly unknown[]
  /**
   * The most the retained heap (JS heap plus array buffers, after a full collection) grew above
   * its size before the first offer, sampled every few waves, in bytes.
   */
  readonly peakGrowthBytes: number
}

/**
 * How many operations an overload test offers: 1 000 000 (issue 13's figure) unless
 * `QUIRE_OVERLOAD_OFFERS` says otherwise (a busy CI machine may want fewer; at least 4x a store's
 * default queue bound still proves the bound).
 */
export function overloadOffers(): number {
  const fromEnv = Number(process.env.QUIRE_OVERLOAD_OFFERS)
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1_000_000
}

let collect: (() => void) | undefined

/**
 * A full garbage collection, so that a heap sample measures what is retained, not garbage not yet
 * collected. `--expose-gc` turned on at run time (a new context then sees V8's `gc`).
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc')
    collect = runInNewContext('gc') as () => void
  }
  collect()
}

/**
 * Bytes the process retains for JavaScript after a full collection: the JS heap plus array
 * buffers (`Uint8Array`s).
 */
export function heapBytes(): number {
  collectGarbage()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/**
 * Offers `total` operations without awaiting any of them — in waves of `wave` issued in one
 * turn of the event loop, with one turn between waves so that refusals can be collected — and
 * samples the heap after each wave. Returns once every offer was made, with `offered`, which
 * resolves once every operation settled. Nothing is retained per operation but a counter, so
 * what the heap holds is what the store under test holds.
 */
export async function offerMany(options: {
  readonly total: number
  readonly wave?: number
  readonly offer: (i: number) => Promise<unknown>
  /** Sample the retained heap after every this many waves (a full collection each). Default 10. */
  readonly sampleEvery?: number
}): Promise<{ readonly offered: Promise<OfferOutcome>; readonly peakGrowthBytes: number }> {
  const wave = options.wave ?? 10_000
  const sampleEvery = options.sampleEvery ?? 10
  let waves = 0
  const baseline = heapBytes()
  let peak = 0
  let acked = 0
  let settledCount = 0
  const byCode = new Map<string, number>()
  const otherErrors: unknown[] = []
  let allSettled: () => void = () => undefined
  const done = new Promise<void>((resolve) => (allSettled = resolve))
  const onSettled = (): void => {
    if (++settledCount === options.total) allSettled()
  }
  const onOk = (): void => {
    acked++
    onSettled()
  }
  const onErr = (err: unknown): void => {
    const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '(none)'
    byCode.set(code, (byCode.get(code) ?? 0) + 1)
    if (code !== 'OVERLOADED' && otherErrors.length < 5) otherErrors.push(err)
    onSettled()
  }
  for (let i = 0; i < options.total; ) {
    const end = Math.min(options.total, i + wave)
    for (; i < end; i++) {
      let p: Promise<unknown>
      try {
        p = options.offer(i)
      } catch (err) {
        p = Promise.reject(err instanceof Error ? err : new Error(String(err)))
      }
      p.then(onOk, onErr)
    }
    await nextTurn()
    if (++waves % sampleEvery === 0 || i === options.total) peak = Math.max(peak, heapBytes() - baseline)
  }
  const peakGrowthBytes = peak
  return {
    peakGrowthBytes,
    offered: done.then(() => ({ acked, refusedByCode: byCode, otherErrors, peakGrowthBytes })),
  }
}
