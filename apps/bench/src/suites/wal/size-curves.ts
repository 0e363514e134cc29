import { join } from 'node:path'
import Database from 'better-sqlite3'
import { open as openLmdb } from 'lmdb'
import { Wal } from '@quire/wal'
import type { BenchCurve, CurvePoint } from '../../curves.js'
import { ratesAt, type BenchContext } from '../../harness.js'
import { sizesUpTo, timed } from '../../curves/size.js'

const VALUE = Buffer.alloc(100, 0x5a)
const keyOf = (i: number): Buffer => Buffer.from(`key-${i.toString().padStart(11, '0')}`)
const FILL_BATCH = 1000
const WRITERS = 256

/**
 * WAL throughput and open time against store size: a `@quire/wal` log, an lmdb database and a
 * better-sqlite3 table (WAL mode, synchronous=FULL) grown to 10 k, 100 k, 1 M, 10 M entries of
 * 100 B (capped by --max-entries); at each size each store is opened again, timed, then 256
 * durable writers append for a few rounds (interleaved); the next size's fill counts those. For the WAL, open alone
 * recovers the tail only; open + replay() is what a user rebuilding state from it pays.
 */
export async function walSizeCurves(ctx: BenchContext): Promise<BenchCurve[]> {
  const walDir = await ctx.subdir('wal')
  const lmdbPath = await ctx.subdir('lmdb')
  const sqlitePath = join(await ctx.subdir('sqlite'), 'db.sqlite')
  const rate: CurvePoint[] = []
  const open: CurvePoint[] = []
  // Entries each store holds, and the next fill key of each: the timed appends of one size add
  // entries too, and the next size's fill counts them, so that every x is the store's true size.
  const held = { wal: 0, lmdb: 0, sqlite: 0 }
  const filled = { wal: 0, lmdb: 0, sqlite: 0 }
  const fillKeys = (store: keyof typeof held, n: number): [number, number] => {
    // The timed writers of the previous size may already have grown a fast store past n (the WAL
    // on an idle disk adds several hundred thousand entries per round): then nothing is filled,
    // and the point is drawn at the store's true size.
    const from = filled[store]
    const target = Math.max(n, held[store])
    filled[store] += target - held[store]
    held[store] = target
    return [from, filled[store]]
  }
  for (const [level, n] of sizesUpTo(ctx.maxEntries).entries()) {
    // Grow every store to n entries (fills are untimed; the WAL's without fsync).
    {
      const wal = await Wal.open(walDir, { sync: 'none' })
      const [wFrom, wTo] = fillKeys('wal', n)
      for (let i = wFrom; i < wTo; i += FILL_BATCH) {
        await wal.appendBatch(Array.from({ length: Math.min(FILL_BATCH, wTo - i) }, (_, k) => ({ op: 'put' as const, key: keyOf(i + k), value: VALUE })))
      }
      await wal.close()
      const lmdb = openLmdb({ path: lmdbPath })
      const [lFrom, lTo] = fillKeys('lmdb', n)
      for (let from = lFrom; from < lTo; from += 100_000) {
        await lmdb.transaction(() => {
          for (let i = from; i < Math.min(lTo, from + 100_000); i++) void lmdb.put(keyOf(i), VALUE)
        })
      }
      await lmdb.close()
      const sqlite = new Database(sqlitePath)
      sqlite.pragma('journal_mode = WAL')
      sqlite.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB)')
      const insert = sqlite.prepare('INSERT INTO kv (k, v) VALUES (?, ?)')
      const fill = sqlite.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) insert.run(keyOf(i), VALUE)
      })
      const [qFrom, qTo] = fillKeys('sqlite', n)
      for (let from = qFrom; from < qTo; from += 100_000) fill(from, Math.min(qTo, from + 100_000))
      sqlite.close()
    }
    // Open again, timed (the page cache is warm: this is the CPU side of recovery).
    {
      const o = await timed(() => Wal.open(walDir))
      const r = await timed(async () => {
        let count = 0
        for await (const e of o.value.replay()) count += e.seq > 0 ? 1 : 0
        return count
      })
      await o.value.close()
      if (r.value !== held.wal) throw new Error(`the WAL replayed ${r.value} of ${held.wal} entries`)
      const last = keyOf(filled.lmdb - 1)
      const l = await timed(async () => {
        const db = openLmdb({ path: lmdbPath })
        const got: unknown = db.get(last)
        await db.close()
        return got
      })
      const q = await timed(async () => {
        const db = new Database(sqlitePath)
        const row = db.prepare('SELECT v FROM kv WHERE k = ?').get(keyOf(filled.sqlite - 1))
        db.close()
        return row
      })
      if (l.value === undefined || q.value === undefined) throw new Error('a peer lost its last entry')
      open.push(
        { series: '@quire/wal open', x: held.wal, y: o.seconds },
        { series: '@quire/wal open + replay() of every entry', x: held.wal, y: o.seconds + r.seconds },
        { series: 'lmdb open + one get', x: held.lmdb, y: l.seconds },
        { series: 'better-sqlite3 open + one select', x: held.sqlite, y: q.seconds },
      )
      process.stdout.write(`  ${held.wal} entries: open ${o.seconds.toFixed(3)} s, replay ${r.value} in ${r.seconds.toFixed(3)} s\n`)
    }
    // Durable appends into the store of n entries, 256 writers; keys new to every store.
    {
      const wal = await Wal.open(walDir)
      const lmdb = openLmdb({ path: lmdbPath })
      const sqlite = new Database(sqlitePath)
      sqlite.pragma('journal_mode = WAL')
      sqlite.pragma('synchronous = FULL')
      const insert = sqlite.prepare('INSERT INTO kv (k, v) VALUES (?, ?)')
      const fresh = (i: number): Buffer => keyOf((level + 1) * 1e10 + i)
      const before = { ...held }
      const rates = await ratesAt(
        [
          { series: '@quire/wal', op: (i) => (held.wal++, wal.append({ op: 'put', key: fresh(i), value: VALUE })) },
          { series: 'lmdb', op: (i) => (held.lmdb++, lmdb.put(fresh(i), VALUE)) },
          { series: 'better-sqlite3 (WAL, synchronous=FULL)', op: (i) => (held.sqlite++, Promise.resolve(insert.run(fresh(i), VALUE))) },
        ],
        WRITERS,
        { seconds: ctx.pointSeconds, rounds: 2 },
      )
      const sizeOf = (series: string): number => (series === '@quire/wal' ? before.wal : series === 'lmdb' ? before.lmdb : before.sqlite)
      for (const [series, y] of rates) rate.push({ series, x: sizeOf(series), y })
      process.stdout.write(`  ${before.wal} entries: ${[...rates].map(([series, y]) => `${series} ${Math.round(y)}/s`).join(', ')}\n`)
      await wal.close()
      await lmdb.close()
      sqlite.close()
    }
  }
  const sizes = { title: 'entries in the store', log: true }
  return [
    { id: 'size', title: 'WAL: durable puts (256 writers) against store size', x: sizes, y: { title: 'ops/s', log: true }, points: rate, note: `${ctx.pointSeconds} s per subject per round, 2 interleaved rounds; 100 B values` },
    { id: 'size', title: 'WAL: open (recovery) time against store size', x: sizes, y: { title: 'seconds (lower is better)', log: true }, points: open, note: 'opened in the bench process, page cache warm' },
  ]
}
