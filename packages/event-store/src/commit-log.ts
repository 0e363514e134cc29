/**
 * The contract the three embedded backends implement: a dumb, durable, ordered log of commits.
 * Everything else (stream index, expected revision, the id rule, positions, subscriptions) is
 * written once, in `LocalDriver`, on top of it. This is the seed's design (an in-memory index
 * over a persisted log) with its flaws removed: memory changes only after `append` resolved.
 */

/** One event as the log stores it. */
export interface StoredEvent {
  /** Lowercase UUID. */
  readonly id: string
  readonly streamName: string
  readonly revision: number
  readonly type: string
  readonly data: unknown
  /** `undefined` when the event has none. */
  readonly metadata: unknown
  /** Milliseconds since the epoch. */
  readonly recordedAtMs: number
}

/**
 * One atomic commit: one append call (one or several streams), or one stream command (its
 * system event in the `$$<stream>` stream, as KurrentDB keeps metadata). Its events take the
 * positions `firstPosition .. firstPosition + events.length - 1`.
 */
export interface CommitRecord {
  readonly events: readonly StoredEvent[]
}

/** A commit read back from the log. */
export interface LoggedCommit extends CommitRecord {
  /** Position of `events[0]`; positions run 1, 2, 3, ... across the whole log with no hole. */
  readonly firstPosition: bigint
}

/**
 * A durable, ordered log of commits.
 *
 * - `append` resolves only when the commit is durable (under the backend's default sync mode),
 *   and is atomic: after any crash a commit is wholly there or wholly absent. Appends resolve
 *   in the order they were called, and positions are given in that order.
 * - A rejected `append` left nothing in the log (a rolled-back write), or else the log is
 *   poisoned and every later call rejects until reopen (then the outcome is unknown).
 * - `replay` yields every acknowledged commit in position order (and possibly unacknowledged
 *   ones a crash left whole).
 */
export interface CommitLog {
  /** Highest position in the log (`0n` when empty). */
  readonly lastPosition: bigint
  /**
   * True once a failed sync (or a failed write that could not be rolled back) left the log in a
   * state this process cannot vouch for: every later `append` rejects until reopen.
   */
  readonly poisoned: boolean
  /**
   * Once poisoned, the `POISONED` error every later append rejects with, its `cause` the first
   * failure (`undefined` while healthy, and for a log that does not say).
   */
  readonly poisonError?: Error | undefined
  /**
   * Rejects with the package's `AppendFailedError` (the write was rolled back, or its outcome
   * is unknown because the log just became poisoned; `cause` is the log's own error) or
   * `StorePoisonedError` (poisoned earlier) or `ClosedError`.
   */
  append(commit: CommitRecord): Promise<{ readonly firstPosition: bigint }>
  /** Every acknowledged commit from `fromPosition` on, in position order. */
  replay(options?: { readonly fromPosition?: bigint }): AsyncIterable<LoggedCommit>
  /** Waits for appends in flight, then closes the log; idempotent. */
  close(): Promise<void>
}
