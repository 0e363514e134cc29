import { MvccEngine, type IsolationLevel } from '../src/engine.js'
import { runTransaction, type TransactionOptions } from '../src/retry.js'
import type { Transaction } from '../src/transaction.js'

/** What the isolation tests need from a store. */
export interface TestDb {
  begin(options?: { readOnly?: boolean }): Transaction
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>
  close(): Promise<void>
  /** Keys and versions held in memory. */
  stats(): { keys: number; versions: number }
}

/** The engine alone, with a log that acknowledges at once (isolation semantics only). */
export function memoryDb(isolation: IsolationLevel, options: { now?: () => number; txTimeoutMs?: number } = {}): TestDb & { engine: MvccEngine } {
  let position = 0
  const engine = new MvccEngine({
    isolation,
    txTimeoutMs: options.txTimeoutMs ?? 60_000,
    now: options.now ?? Date.now,
    persist: () => Promise.resolve([{ seq: ++position }]),
  })
  return {
    engine,
    begin: (o) => engine.begin(o?.readOnly ?? false),
    transaction: (fn, o) => runTransaction((ro) => engine.begin(ro), fn, o),
    close: () => {
      engine.close()
      return Promise.resolve()
    },
    stats: () => {
      let versions = 0
      for (const [, chain] of engine.index.entries()) versions += chain.length
      return { keys: engine.index.keyCount, versions }
    },
  }
}

/** All `[key, value]` pairs a scan yields. */
export async function collect(iterable: AsyncIterable<[string, unknown]>): Promise<[string, unknown][]> {
  const out: [string, unknown][] = []
  for await (const entry of iterable) out.push(entry)
  return out
}
