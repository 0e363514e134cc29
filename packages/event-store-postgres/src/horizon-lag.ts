import type pg from 'pg'
import { queryTypes } from './pg-types.js'

/**
 * How far `$all` readers are held back. `$all` shows only events of transactions below the
 * horizon (the oldest transaction id still running anywhere in the cluster), so one long
 * transaction that has written anything, in any database of the cluster, stalls every `$all`
 * subscriber until it ends. Appends and `readStream` are not affected.
 */
export interface HorizonLag {
  /**
   * Transaction ids between the horizon and the next id to be assigned (`xmax - xmin` of a
   * fresh snapshot): 0 when no transaction with an id is running.
   */
  readonly transactions: bigint
  /** Committed events at or above the horizon: readable by `readStream`, not yet by `$all`. */
  readonly eventsWaiting: number
  /**
   * The backend holding the horizon, from `pg_stat_activity`; `undefined` when none is, or when
   * the role may not see it (grant `pg_read_all_stats` to see other roles' sessions).
   */
  readonly oldestTransaction: { readonly pid: number; readonly ageMs: number; readonly state: string | null } | undefined
}

/** One statement: one snapshot for every figure. */
export async function queryHorizonLag(pool: pg.Pool, s: string): Promise<HorizonLag> {
  type Row = [bigint, bigint, number | null, number | null, string | null]
  const result = await pool.query<Row>({
    text: `WITH snap AS (SELECT pg_current_snapshot() AS s)
      SELECT pg_snapshot_xmax(snap.s)::text::bigint - pg_snapshot_xmin(snap.s)::text::bigint,
             (SELECT count(*) FROM ${s}.events WHERE position >= (pg_snapshot_xmin(snap.s)::text::bigint << 16)),
             a.pid, (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::float8, a.state
        FROM snap
        LEFT JOIN LATERAL (
          SELECT pid, xact_start, state FROM pg_stat_activity
           WHERE backend_xid IS NOT NULL
             AND backend_xid::text::bigint = pg_snapshot_xmin(snap.s)::text::bigint % 4294967296
           LIMIT 1) AS a ON true`,
    values: [],
    types: queryTypes,
    rowMode: 'array',
  })
  const [transactions, waiting, pid, ageMs, state] = result.rows[0]!
  return {
    transactions,
    eventsWaiting: Number(waiting),
    oldestTransaction: pid === null || ageMs === null ? undefined : { pid, ageMs, state },
  }
}
