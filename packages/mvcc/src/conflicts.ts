import { ConflictError } from './errors.js'
import { inRange, type KeyRange } from './keys.js'
import { newestTs, type Version, type VersionIndex } from './versions.js'

/** The keys one commit wrote, kept while some open transaction's snapshot predates it. */
export interface RecentCommit {
  readonly ts: number
  readonly keys: readonly string[]
}

/**
 * Decides whether a transaction may commit; throws `ConflictError` when it must not.
 *
 * "Committed after the snapshot" means any version with `ts > snapshotTs`, including commits
 * already validated but still waiting for the WAL: they are ordered before us, so they count.
 *
 * 1. Write-write (both levels, first committer wins): a key we write has such a version.
 * 2. Read-write (serializable, only for transactions that write): a key we read, or a key in a
 *    range we scanned, has such a version. Then our reads are stale at our commit point.
 *
 * Why rule 2 is sufficient for serializability: a read-write transaction that passes it read
 * exactly what it would have read at its commit point (nothing it read or scanned changed in
 * between), and its writes take effect at its commit point. So every committed read-write
 * transaction is equivalent to running alone, instantly, at its commit timestamp: the
 * serial order is commit order. A read-only transaction reads a snapshot, which is by
 * construction the state after a prefix of that commit order, so it fits into the serial order
 * right after that prefix and never needs validation. This also excludes the read-only
 * anomaly (a read-only transaction observing a write skew, the "two-edge" variant): the write
 * skew itself needs a read-write transaction whose read went stale before it committed, and
 * that transaction fails rule 2.
 *
 * It is stricter than PostgreSQL's SSI (which aborts only on two consecutive rw edges): a
 * single stale read aborts the writer, even when no cycle would form. Fewer false aborts would
 * need the dangerous-structure tracking of SSI; we chose the rule that is easy to prove.
 */
export function validateCommit(
  snapshotTs: number,
  writes: ReadonlyMap<string, unknown>,
  /** Keys read (serializable only; undefined under snapshot isolation). */
  readKeys: ReadonlySet<string> | undefined,
  /** Ranges scanned (serializable only). */
  ranges: readonly KeyRange[] | undefined,
  index: VersionIndex,
  recent: readonly RecentCommit[],
  /**
   * Its first `writes.size` slots are set to the chain of each written key, in the order of
   * `writes` (for `installOn`). Written by index, never shortened: the caller reuses one array.
   */
  chains: (readonly Version[] | undefined)[],
): void {
  // Positional arguments, no candidate object: this runs once per commit.
  let at = 0
  for (const key of writes.keys()) {
    const chain = index.chainOf(key)
    if (newestTs(chain) > snapshotTs) throw new ConflictError(key, 'write-write')
    chains[at++] = chain
  }
  if (readKeys !== undefined) {
    for (const key of readKeys) {
      if (index.latestTs(key) > snapshotTs) throw new ConflictError(key, 'read-write')
    }
  }
  if (ranges !== undefined && ranges.length > 0) {
    // Newest first: stop at the first commit our snapshot already includes.
    for (let i = recent.length - 1; i >= 0; i--) {
      const commit = recent[i]!
      if (commit.ts <= snapshotTs) break
      for (const key of commit.keys) {
        for (const range of ranges) {
          if (inRange(key, range)) throw new ConflictError(key, 'read-write')
        }
      }
    }
  }
}
