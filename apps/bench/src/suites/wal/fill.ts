import Database from 'better-sqlite3'
import { Wal, WAL_MAX_BATCH_ENTRIES } from '@quire/wal'

/** The WAL size curve's entries: 100 B values under `key-00000000042`. */
export const WAL_CURVE_VALUE = Buffer.alloc(100, 0x5a)
export const walCurveKey = (i: number): Buffer => Buffer.from(`key-${i.toString().padStart(11, '0')}`)
/** Puts per fill transaction of SQLite. */
const SQLITE_FILL_TX = 100_000

/** Appends keys 0 .. n-1 to a new WAL at `dir` without fsync, in the largest batches the WAL takes; `progress(done)` after each. */
export async function fillWal(dir: string, n: number, progress: (done: number) => void): Promise<void> {
  const wal = await Wal.open(dir, { sync: 'none' })
  try {
    for (let from = 0; from < n; from += WAL_MAX_BATCH_ENTRIES) {
      const to = Math.min(n, from + WAL_MAX_BATCH_ENTRIES)
      await wal.appendBatch(Array.from({ length: to - from }, (_, k) => ({ op: 'put' as const, key: walCurveKey(from + k), value: WAL_CURVE_VALUE })))
      progress(to)
    }
  } finally {
    await wal.close()
  }
}

/**
 * Creates the WAL suite's better-sqlite3 peer table (`kv`, WAL mode) at `path` with keys 0 .. n-1,
 * without fsync (the fill is setup, not measured), and checkpoints it into the main file.
 */
export function fillSqliteKv(path: string, n: number, progress: (done: number) => void): void {
  const sqlite = new Database(path)
  try {
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = OFF')
    sqlite.exec('CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB)')
    const insert = sqlite.prepare('INSERT INTO kv (k, v) VALUES (?, ?)')
    const fill = sqlite.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(walCurveKey(i), WAL_CURVE_VALUE)
    })
    for (let from = 0; from < n; from += SQLITE_FILL_TX) {
      const to = Math.min(n, from + SQLITE_FILL_TX)
      fill(from, to)
      progress(to)
    }
    sqlite.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    sqlite.close()
  }
}
