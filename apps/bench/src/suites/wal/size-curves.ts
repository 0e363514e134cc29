import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { open as openLmdb } from 'lmdb'
import { Wal } from '@quire/wal'
import type { BenchCurve, CurvePoint } from '../../curves.js'
import { ratesAt, type BenchContext } from '../../harness.js'
import { fillProgress, forEachSize, sizeLabel, timed } from '../../curves/size.js'
import { runChild } from '../../children/run-child.js'
import { WAL_CURVE_VALUE, walCurveKey } from './fill.js'

const VALUE = WAL_CURVE_VALUE
const keyOf = walCurveKey
const WRITERS = 256
/** Puts per fill transaction of lmdb. */
const LMDB_FILL_TX = 100_000

async function fillLmdb(path: string, n: number): Promise<void> {
  const lmdb = openLmdb({ path })
  const progress = fillProgress('lmdb', n)
  for (let from = 0; from < n; from += LMDB_FILL_TX) {
    const to = Math.min(n, from + LMDB_FILL_TX)
    await lmdb.transaction(() => {
      for (let i = from; i < to; i++) void lmdb.put(keyOf(i), VALUE)
    })
    progress(to)
  }
  await lmdb.close()
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
    // Quire's log and SQLite's table fill in child processes while lmdb fills here: a 10 M fill
    // is CPU-bound, and the three at once use both cores of the machine.
    await Promise.all([
      runChild('fill-store', ['wal', walDir, String(n)]),
      runChild('fill-store', ['sqlite-kv', sqlitePath, String(n)]),
      fillLmdb(lmdbPath, n),
    ])
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
