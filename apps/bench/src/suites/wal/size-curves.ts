import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { open as openLmdb } from 'lmdb'
import { Wal, WAL_MAX_BATCH_ENTRIES } from '@quire/wal'
import type { BenchCurve, CurvePoint } from '../../curves.js'
import { ratesAt, type BenchContext } from '../../harness.js'
import { fillProgress, forEachSize, sizeLabel, timed } from '../../curves/size.js'

const VALUE = Buffer.alloc(100, 0x5a)
const keyOf = (i: number): Buffer => Buffer.from(`key-${i.toString().padStart(11, '0')}`)
const WRITERS = 256
/** Puts per fill transaction of lmdb and SQLite. */
const PEER_FILL_TX = 100_000

/** Appends keys 0 .. n-1 to a new WAL at `dir` without fsync, in the largest batches the WAL takes. */
async function fillWal(dir: string, n: number): Promise<void> {
  const wal = await Wal.open(dir, { sync: 'none' })
  const progress = fillProgress('@quire/wal', n)
  try {
    for (let from = 0; from < n; from += WAL_MAX_BATCH_ENTRIES) {
      const to = Math.min(n, from + WAL_MAX_BATCH_ENTRIES)
      await wal.appendBatch(Array.from({ length: to - from }, (_, k) => ({ op: 'put' as const, key: keyOf(from + k), value: VALUE })))
      progress(to)
    }
  } finally {
    await wal.close()
  }
}

async function fillLmdb(path: string, n: number): Promise<void> {
  const lmdb = openLmdb({ path })
  const progress = fillProgress('lmdb', n)
  for (let from = 0; from < n; from += PEER_FILL_TX) {
    const to = Math.min(n, from + PEER_FILL_TX)
    await lmdb.transaction(() => {
      for (let i = from; i < to; i++) void lmdb.put(keyOf(i), VALUE)
    })
    progress(to)
  }
  await lmdb.close()
}

/** The table of the WAL suite's better-sqlite3 peer, filled without fsync (the fill is setup, not measured). */
function fillSqlite(path: string, n: number): void {
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = OFF')
  sqlite.exec('CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB)')
  const insert = sqlite.prepare('INSERT INTO kv (k, v) VALUES (?, ?)')
  const fill = sqlite.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run(keyOf(i), VALUE)
  })
  const progress = fillProgress('better-sqlite3', n)
  for (let from = 0; from < n; from += PEER_FILL_TX) {
    fill(from, Math.min(n, from + PEER_FILL_TX))
    progress(Math.min(n, from + PEER_FILL_TX))
  }
  sqlite.pragma('wal_checkpoint(TRUNCATE)')
  sqlite.close()
}

/**
 * WAL throughput and open time against store size: at each size (10 k, 100 k, 1 M, 10 M entries
 * of 100 B, capped by --max-entries) a new `@quire/wal` log, lmdb database and better-sqlite3
 * table (WAL mode) are filled with exactly n entries (untimed, without fsync), each is opened
 * again, timed, then 256 durable writers put for a short fixed window (interleaved rounds), and
 * the stores are deleted. The puts update keys the stores hold, chosen across all n, so that
 * lmdb's and SQLite's B-trees keep n keys and pay for their depth; the WAL, a log, grows by
 * every put (the note says by how much). For the WAL, open alone recovers the tail only; open +
 * replay() is what a user rebuilding state from it pays.
 */
export async function walSizeCurves(ctx: BenchContext): Promise<BenchCurve[]> {
  const rate: CurvePoint[] = []
  const open: CurvePoint[] = []
  const added: string[] = []
  await forEachSize(ctx, 'wal', async (n, dir) => {
    const walDir = join(dir, 'wal')
    const lmdbPath = join(dir, 'lmdb')
    await mkdir(join(dir, 'sqlite'))
    const sqlitePath = join(dir, 'sqlite', 'db.sqlite')
    process.stdout.write(`  ${sizeLabel(n)} entries: filling\n`)
    await fillWal(walDir, n)
    await fillLmdb(lmdbPath, n)
    fillSqlite(sqlitePath, n)
    // Open again, timed (the page cache is warm: this is the CPU side of recovery).
    {
      const o = await timed(() => Wal.open(walDir))
      const r = await timed(async () => {
        let count = 0
        for await (const e of o.value.replay()) count += e.seq > 0 ? 1 : 0
        return count
      })
      await o.value.close()
      if (r.value !== n) throw new Error(`the WAL replayed ${r.value} of ${n} entries`)
      const last = keyOf(n - 1)
      const l = await timed(async () => {
        const db = openLmdb({ path: lmdbPath })
        const got: unknown = db.get(last)
        await db.close()
        return got
      })
      const q = await timed(async () => {
        const db = new Database(sqlitePath)
        const row = db.prepare('SELECT v FROM kv WHERE k = ?').get(last)
        db.close()
        return row
      })
      if (l.value === undefined || q.value === undefined) throw new Error('a peer lost its last entry')
      open.push(
        { series: '@quire/wal open', x: n, y: o.seconds },
        { series: '@quire/wal open + replay() of every entry', x: n, y: o.seconds + r.seconds },
        { series: 'lmdb open + one get', x: n, y: l.seconds },
        { series: 'better-sqlite3 open + one select', x: n, y: q.seconds },
      )
      process.stdout.write(`  ${sizeLabel(n)} entries: open ${o.seconds.toFixed(3)} s, replay ${r.value} in ${r.seconds.toFixed(3)} s\n`)
    }
    // Durable puts into the store of n entries, 256 writers, each put to one of the n keys.
    {
      const wal = await Wal.open(walDir)
      const lmdb = openLmdb({ path: lmdbPath })
      const sqlite = new Database(sqlitePath)
      sqlite.pragma('journal_mode = WAL')
      sqlite.pragma('synchronous = FULL')
      const update = sqlite.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)')
      // 7919 is prime, so i × 7919 mod n visits every key once per n puts, spread over the tree.
      const existing = (i: number): Buffer => keyOf((i * 7919) % n)
      let walPuts = 0
      try {
        const rates = await ratesAt(
          [
            { series: '@quire/wal', op: (i) => (walPuts++, wal.append({ op: 'put', key: existing(i), value: VALUE })) },
            { series: 'lmdb', op: (i) => lmdb.put(existing(i), VALUE) },
            { series: 'better-sqlite3 (WAL, synchronous=FULL)', op: (i) => Promise.resolve(update.run(existing(i), VALUE)) },
          ],
          WRITERS,
          { seconds: ctx.pointSeconds, rounds: 2 },
        )
        for (const [series, y] of rates) rate.push({ series, x: n, y })
        added.push(`${sizeLabel(n)}: +${walPuts}`)
        process.stdout.write(`  ${sizeLabel(n)} entries: ${[...rates].map(([series, y]) => `${series} ${Math.round(y)}/s`).join(', ')}\n`)
      } finally {
        await wal.close()
        await lmdb.close()
        sqlite.close()
      }
    }
  })
  const sizes = { title: 'entries in the store', log: true }
  return [
    {
      id: 'size',
      title: 'WAL: durable puts (256 writers) against store size',
      x: sizes,
      y: { title: 'ops/s', log: true },
      points: rate,
      note: `each store built new with exactly the stated number of entries before its timed puts; ${ctx.pointSeconds} s per subject per round, 2 interleaved rounds (with warm-up); 100 B values; each put updates one of the n keys (lmdb and SQLite keep n keys); the WAL, a log, grew by the puts: ${added.join('; ')}`,
    },
    { id: 'size', title: 'WAL: open (recovery) time against store size', x: sizes, y: { title: 'seconds (lower is better)', log: true }, points: open, note: 'opened in the bench process right after the fill, page cache warm; every store holds exactly the stated entries' },
  ]
}
