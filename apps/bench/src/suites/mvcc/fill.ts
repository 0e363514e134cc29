import { MvccStore } from '@quire/mvcc'

/** The size curve's keys and values: 100 B values under `acct-0000000042`. */
export const MVCC_VALUE = new Uint8Array(100).fill(0x5a)
export const mvccKey = (i: number): string => `acct-${String(i).padStart(10, '0')}`

/** Keys per fill transaction: the most one transaction may write is 9 999 (MAX_TX_WRITES). */
const FILL_TX_KEYS = 5000

/**
 * Fills a new MvccStore at `dir` with keys 0 .. n-1 (one version each), without fsync, in
 * transactions of 5 000 puts; calls `progress(done)` after each. Untimed setup for the size curve.
 */
export async function fillMvcc(dir: string, n: number, progress: (done: number) => void): Promise<void> {
  const store = await MvccStore.open(dir, { sync: 'none' })
  try {
    for (let from = 0; from < n; from += FILL_TX_KEYS) {
      const to = Math.min(n, from + FILL_TX_KEYS)
      await store.transaction(async (tx) => {
        for (let i = from; i < to; i++) await tx.put(mvccKey(i), MVCC_VALUE)
      })
      progress(to)
    }
  } finally {
    await store.close()
  }
}
