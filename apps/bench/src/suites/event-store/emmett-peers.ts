import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Event } from '@event-driven-io/emmett'
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

// Run in a child process: under contention Emmett's connection setup (`PRAGMA journal_mode` run
// without a callback) can emit an unhandled 'error' event, which ends the process.
const PROBE_SCRIPT = `
import { getSQLiteEventStore } from '@event-driven-io/emmett-sqlite'
const [fileName, count] = process.argv.slice(1)
const store = getSQLiteEventStore({ fileName, schema: { autoMigration: 'CreateOrUpdate' } })
const event = (i) => ({ type: 'Deposited', data: { amount: i % 1000, currency: 'EUR' } })
await store.appendToStream('schema-made', [event(0)])
let logged
console.log = (first) => { logged ??= first instanceof Error ? first.message : String(first) }
const results = await Promise.allSettled(Array.from({ length: Number(count) }, (_, i) =>
  store.appendToStream('probe-' + i, [event(i)], { expectedStreamVersion: 'STREAM_DOES_NOT_EXIST' })))
const failures = results.filter((r) => r.status === 'rejected')
const rejected = failures.length === 0 ? undefined : (failures[0].reason instanceof Error ? failures[0].reason.message : String(failures[0].reason))
await store.appendToStream('dup', [event(0)], { expectedStreamVersion: 'STREAM_DOES_NOT_EXIST' })
const noStreamEnforced = await store.appendToStream('dup', [event(1)], { expectedStreamVersion: 'STREAM_DOES_NOT_EXIST' }).then(() => false, () => true)
process.stdout.write(JSON.stringify({ failed: failures.length, logged, rejected, noStreamEnforced }))
`

/** What {@link probeConcurrentAppends} saw. */
export interface ProbeResult {
  /** Appends that rejected, of `count`. */
  readonly failed: number
  /** First error Emmett logged inside its transaction (it logs with `console.log`). */
  readonly logged: string | undefined
  /** First error a caller got (after a failed BEGIN, Emmett's ROLLBACK fails too and that is what surfaces). */
  readonly rejected: string | undefined
  /** Whether a second append to one stream with `STREAM_DOES_NOT_EXIST` was refused (`undefined`: not reached). */
  readonly noStreamEnforced?: boolean
  /** Set when the probe's process died instead: the first error line it printed. */
  readonly crashed?: string
}

/**
 * Runs `count` appends to new streams all at once on an Emmett SQLite store at `fileName`, in a
 * child process, and says how many failed and how (or that the process died). Then appends
 * twice to one stream expecting `STREAM_DOES_NOT_EXIST`, to see whether the second is refused.
 */
export async function probeConcurrentAppends(fileName: string, count: number): Promise<ProbeResult> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', PROBE_SCRIPT, fileName, String(count)],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)), maxBuffer: 1 << 20 },
    )
    return JSON.parse(stdout) as ProbeResult
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err)
    const line = stderr.split('\n').find((l) => /SQLITE_|Error/.test(l)) ?? 'exited with an error'
    return { failed: count, logged: undefined, rejected: undefined, crashed: line.trim() }
  }
}

/** Runs the calls it is given one at a time, in arrival order (what a user of Emmett SQLite must add). */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => undefined)
    return run
  }
}

/**
 * Wraps an Emmett SQLite operation so a failure is counted instead of ending the run: its
 * appends can fail even one at a time (`SQLITE_BUSY: cannot commit transaction - SQL statements
 * in progress`, seen here under load: the `INSERT ... RETURNING` it reads with `get` may not be
 * finished when it commits). Emmett also logs each failed transaction with `console.log`: see
 * {@link silenceConsoleLog}.
 */
export function counted<T>(op: (i: number) => Promise<T>): {
  readonly op: (i: number) => Promise<T | undefined>
  readonly failures: () => { readonly count: number; readonly first: string | undefined }
} {
  let count = 0
  let first: string | undefined
  return {
    op: async (i) => {
      try {
        return await op(i)
      } catch (err) {
        count++
        first ??= describe(err)
        return undefined
      }
    },
    failures: () => ({ count, first }),
  }
}

/** Runs `fn`, again on failure, at most `attempts` times (building peer stores). */
export async function withRetries<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let k = 1; ; k++) {
    try {
      return await fn()
    } catch (err) {
      if (k >= attempts) throw err
    }
  }
}

/**
 * Counts, instead of dying of them, the SQLite errors Emmett's store lets escape as unhandled
 * 'error' events: its connection setup runs `PRAGMA journal_mode = WAL` without a callback and
 * without waiting, so the transaction it starts next can run first ("cannot change into wal mode
 * from within a transaction"), and a failed open has no handler either. Any other uncaught
 * exception still ends the process. Call the returned `stop` to remove the handler.
 */
export function countEscapedSqliteErrors(): {
  readonly escaped: () => { readonly count: number; readonly first: string | undefined }
  readonly stop: () => void
} {
  let count = 0
  let first: string | undefined
  const onUncaught = (err: unknown): void => {
    const code = (err as { code?: unknown } | null)?.code
    if (typeof code !== 'string' || !code.startsWith('SQLITE_')) {
      process.removeListener('uncaughtException', onUncaught)
      throw err
    }
    count++
    first ??= describe(err)
  }
  process.on('uncaughtException', onUncaught)
  return { escaped: () => ({ count, first }), stop: () => process.removeListener('uncaughtException', onUncaught) }
}

/**
 * Silences `console.log` (Emmett's SQLite store logs every failed transaction with it; the bench
 * counts them instead) until the returned function is called. The harness writes to stdout directly.
 */
export function silenceConsoleLog(): () => void {
  const log = console.log
  console.log = () => undefined
  return () => {
    console.log = log
  }
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err))

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
