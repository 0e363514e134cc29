import { STREAM_DOES_NOT_EXIST, type Event } from '@event-driven-io/emmett'
import { getSQLiteEventStore, readMessagesBatch, sqliteConnection, type SQLiteEventStore } from '@event-driven-io/emmett-sqlite'

/** The peers' event: Emmett's `{ type, data }`. */
export type Deposited = Event<'Deposited', { amount: number; currency: string }>

/**
 * Emmett's SQLite event store (`@event-driven-io/emmett-sqlite` on the `sqlite3` module). It opens
 * a connection per operation, sets `journal_mode = WAL` and leaves `synchronous` at the build's
 * default (FULL for the `sqlite3` 5.1.7 build: durable at commit).
 */
export function openEmmettSqlite(fileName: string): SQLiteEventStore {
  return getSQLiteEventStore({ fileName, schema: { autoMigration: 'CreateOrUpdate' } })
}

/**
 * Runs `count` appends to new streams all at once on Emmett's SQLite store (whose schema must
 * exist already) and says how many failed, with the error Emmett logged inside its transaction
 * (`logged`: it logs with `console.log`, silenced here, then its ROLLBACK fails too and that is
 * the error the caller gets: `rejected`).
 */
export async function probeConcurrentAppends(
  store: SQLiteEventStore,
  count: number,
  event: (i: number) => Deposited,
): Promise<{ failed: number; logged: string | undefined; rejected: string | undefined }> {
  const log = console.log
  let logged: string | undefined
  console.log = (first: unknown) => {
    logged ??= describe(first)
  }
  try {
    const results = await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        store.appendToStream(`probe-${i}`, [event(i)], { expectedStreamVersion: STREAM_DOES_NOT_EXIST }),
      ),
    )
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    return { failed: failures.length, logged, rejected: failures.length === 0 ? undefined : describe(failures[0]!.reason) }
  } finally {
    console.log = log
  }
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** Runs the calls it is given one at a time, in arrival order (what a user of Emmett SQLite must add). */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => undefined)
    return run
  }
}

/** Reads every message of Emmett's SQLite store in batches of `batchSize`; returns the count. */
export async function readAllEmmettSqlite(fileName: string, batchSize: number): Promise<number> {
  const db = sqliteConnection({ fileName })
  try {
    let after = 0n
    let count = 0
    for (;;) {
      const batch = await readMessagesBatch<Deposited>(db, { after, batchSize })
      count += batch.messages.length
      if (!batch.areEventsLeft || batch.messages.length === 0) return count
      after = batch.currentGlobalPosition
    }
  } finally {
    db.close()
  }
}
