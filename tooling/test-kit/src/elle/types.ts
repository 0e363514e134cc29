/** One operation of a list-append transaction. */
export type ListAppendOp =
  /** Appends `value` to the list at `key`. Values appended to one key must be unique. */
  | { readonly f: 'append'; readonly key: string; readonly value: number }
  /** Reads the list at `key`; `value` is what was observed (`null` when unknown). */
  | { readonly f: 'r'; readonly key: string; readonly value: readonly number[] | null }

/**
 * One transaction of a history. `ok`: committed (acknowledged); `fail`: definitely aborted;
 * `info`: outcome unknown (may or may not have committed).
 */
export interface ListAppendTxn {
  readonly status: 'ok' | 'fail' | 'info'
  readonly ops: readonly ListAppendOp[]
  /** When the client began the transaction (any clock that only grows); for real-time edges. */
  readonly invokedAt?: number
  /** When the client saw its outcome; for real-time edges (unset for `info`). */
  readonly completedAt?: number
}

/**
 * Dependency kinds (Adya): write-write, write-read, read-write (anti-dependency); and `rt`
 * (real time: one transaction completed before the other was invoked), when checked.
 */
export type EdgeType = 'ww' | 'wr' | 'rw' | 'rt'

/** `from` must precede `to` in any serial order, because of `key`. Indexes into the history. */
export interface DependencyEdge {
  readonly from: number
  readonly to: number
  readonly type: EdgeType
  readonly key: string
}

/**
 * Anomalies the checker names.
 * - `G0` write cycle (ww only); `G1a` aborted read; `G1b` intermediate read; `G1c` circular
 *   information flow (ww + wr); `G-single` a cycle with exactly one rw edge (read skew);
 *   `G2-item` a cycle with two or more rw edges (write skew and friends).
 * - `*-realtime`: the same cycles, but only through real-time edges as well (a transaction that
 *   began after another completed yet must precede it): forbidden by strict serializability
 *   and strong snapshot isolation, allowed by their plain versions.
 * - `incompatible-order`: two reads of one key that are not prefixes of one another;
 *   `garbage-read`: a value nobody appended; `duplicate-append`: a value appended twice;
 *   `internal`: a transaction that does not see its own earlier reads/appends.
 */
export type AnomalyType =
  | 'G0'
  | 'G1a'
  | 'G1b'
  | 'G1c'
  | 'G-single'
  | 'G2-item'
  | 'G0-realtime'
  | 'G1c-realtime'
  | 'G-single-realtime'
  | 'G2-item-realtime'
  | 'incompatible-order'
  | 'garbage-read'
  | 'duplicate-append'
  | 'internal'

export interface Anomaly {
  readonly type: AnomalyType
  readonly message: string
  /** For cycle anomalies: the edges of one cycle, in order. */
  readonly cycle?: readonly DependencyEdge[]
  /** Indexes of the transactions involved. */
  readonly txns: readonly number[]
}

export interface CheckResult {
  /** True when no anomaly forbidden by the checked model was found. */
  readonly valid: boolean
  /** Every anomaly found, forbidden or not. */
  readonly anomalies: readonly Anomaly[]
  /** The distinct types found, sorted. */
  readonly types: readonly AnomalyType[]
  /** The forbidden types that were found. */
  readonly forbiddenFound: readonly AnomalyType[]
  readonly edges: number
}

/** A consistency model, or the explicit list of anomalies to forbid. */
export type ConsistencyModel =
  | 'strict-serializable'
  | 'serializable'
  | 'strong-snapshot-isolation'
  | 'snapshot-isolation'
  | 'read-committed'
