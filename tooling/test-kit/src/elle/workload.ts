import fc from 'fast-check'
import type { ListAppendOp, ListAppendTxn } from './types.js'

/** A transaction to run: appends carry unique values per key, reads are still to be observed. */
export type ListAppendPlan = readonly ({ readonly f: 'append'; readonly key: string; readonly value: number } | { readonly f: 'r'; readonly key: string })[]

export interface ListAppendArbitraryOptions {
  /** Number of distinct keys (`k0`, `k1`, ...); fewer keys mean more contention. Default 3. */
  readonly keys?: number
  readonly minTxns?: number
  /** Default 24. */
  readonly maxTxns?: number
  /** Operations per transaction, default 1..4. */
  readonly maxOps?: number
}

/**
 * Random list-append transactions. Each append gets a value unique to its key (1, 2, 3, ...
 * in generation order), as the checker requires.
 */
export function arbListAppendPlans(options: ListAppendArbitraryOptions = {}): fc.Arbitrary<ListAppendPlan[]> {
  const keys = Array.from({ length: options.keys ?? 3 }, (_, i) => `k${i}`)
  const op = fc.record({ f: fc.constantFrom('append' as const, 'r' as const), key: fc.constantFrom(...keys) })
  const txn = fc.array(op, { minLength: 1, maxLength: options.maxOps ?? 4 })
  return fc.array(txn, { minLength: options.minTxns ?? 1, maxLength: options.maxTxns ?? 24 }).map((txns) => {
    const next = new Map<string, number>()
    return txns.map((ops) =>
      ops.map((o) => {
        if (o.f === 'r') return { f: 'r' as const, key: o.key }
        const value = (next.get(o.key) ?? 0) + 1
        next.set(o.key, value)
        return { f: 'append' as const, key: o.key, value }
      }),
    )
  })
}

/**
 * Records a history while plans run, with real-time order (a logical clock ticks at each
 * `begin` and each outcome). `begin` returns the recorder of one transaction (call it right
 * before the transaction begins):
 * note each read as it is observed, then `ok()`, `fail()` (definitely aborted) or `info()`
 * (outcome unknown, e.g. a crash or an ambiguous error).
 */
export class ListAppendRecorder {
  private readonly txns: { status: ListAppendTxn['status']; ops: ListAppendOp[]; invokedAt: number; completedAt?: number }[] = []
  /** A logical clock: real-time order of begin and outcome events. */
  private clock = 0

  begin(): {
    append(key: string, value: number): void
    read(key: string, value: readonly number[]): void
    ok(): void
    fail(): void
    info(): void
  } {
    const txn: { status: ListAppendTxn['status']; ops: ListAppendOp[]; invokedAt: number; completedAt?: number } = {
      status: 'info',
      ops: [],
      invokedAt: this.clock++,
    }
    this.txns.push(txn)
    return {
      append: (key, value) => void txn.ops.push({ f: 'append', key, value }),
      read: (key, value) => void txn.ops.push({ f: 'r', key, value: [...value] }),
      ok: () => {
        txn.status = 'ok'
        txn.completedAt = this.clock++
      },
      fail: () => {
        txn.status = 'fail'
        txn.completedAt = this.clock++
      },
      info: () => void (txn.status = 'info'),
    }
  }

  /** The history so far. */
  get history(): readonly ListAppendTxn[] {
    return this.txns
  }
}
