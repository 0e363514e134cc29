import { randomInt } from 'node:crypto'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { open as openLmdb } from 'lmdb'
import { MvccStore } from '@quire/mvcc'
import type { BenchCurve, CurvePoint } from '../../curves.js'
import type { BenchContext, PointSubject } from '../../harness.js'
import { concurrencyCurve } from '../../curves/concurrency.js'
import { latencyCurve } from '../../curves/latency.js'
import { memoryCurve } from '../../curves/memory.js'
import { fillProgress, forEachSize, sizeLabel } from '../../curves/size.js'
import { runChild } from '../../children/run-child.js'
import type { SizePoint } from '../../children/size-point-result.js'
import { MVCC_VALUE, mvccKey } from './fill.js'

const VALUE = MVCC_VALUE
const keyOf = mvccKey

/** Small transactions (read one key of `space`, write one), Quire and its peers. */
export function smallTx(space: number, quire: MvccStore, lmdb: ReturnType<typeof openLmdb>, level?: ClassicLevel<string, Uint8Array>): PointSubject[] {
  const subjects: PointSubject[] = [
    {
      series: "@quire/mvcc (snapshot, sync 'always')",
      op: (i) =>
        quire.transaction(async (tx) => {
          await tx.get(keyOf(randomInt(space)))
          await tx.put(keyOf((i * 7919) % space), VALUE)
        }, { retries: 100 }),
    },
    {
      series: 'lmdb (transaction: get + put)',
      op: (i) =>
        lmdb.transaction(() => {
          lmdb.get(keyOf(randomInt(space)))
          return lmdb.put(keyOf((i * 7919) % space), Buffer.from(VALUE))
        }),
    },
  ]
  if (level !== undefined) {
    subjects.push({
      series: 'classic-level (get + batch, sync: true)',
      op: async (i) => {
        await level.get(keyOf(randomInt(space)))
        await level.batch([{ type: 'put', key: keyOf((i * 7919) % space), value: VALUE }], { sync: true })
      },
    })
  }
  return subjects
}

async function withStores<T>(ctx: BenchContext, tag: string, body: (q: MvccStore, l: ReturnType<typeof openLmdb>, c: ClassicLevel<string, Uint8Array>) => Promise<T>): Promise<T> {
  const quire = await MvccStore.open(await ctx.subdir(`quire-${tag}`), { sync: 'always' })
  const lmdb = openLmdb({ path: await ctx.subdir(`lmdb-${tag}`) })
  const level = new ClassicLevel<string, Uint8Array>(await ctx.subdir(`level-${tag}`), { valueEncoding: 'view' })
  await level.open()
  try {
    return await body(quire, lmdb, level)
  } finally {
    await Promise.all([quire.close(), lmdb.close(), level.close()])
  }
}

/** Fills a new lmdb database at `path` with the same keys and values as the MvccStore's fill, untimed, in transactions of 100 k puts. */
async function fillLmdb(path: string, n: number): Promise<void> {
  const lmdb = openLmdb({ path })
  const progress = fillProgress('lmdb', n)
  const value = Buffer.from(MVCC_VALUE)
  for (let from = 0; from < n; from += 100_000) {
    const to = Math.min(n, from + 100_000)
    await lmdb.transaction(() => {
      for (let i = from; i < to; i++) void lmdb.put(mvccKey(i), value)
    })
    progress(to)
  }
  await lmdb.close()
}

/**
 * Throughput, open time and index memory against store size: at each size (10 k ... 10 M keys,
 * capped by --max-entries) a new MvccStore and a new lmdb database are filled with exactly n keys
 * (100 B values, without fsync; Quire in a child process, lmdb meanwhile in this one); then one
 * fresh process (`children/size-point.ts`) opens the MvccStore (recovered from its WAL, no
 * checkpoint), reports the heap and external memory the open store holds, opens lmdb, and runs
 * 256 concurrent durable small transactions (read one key, update another, both of the n) on
 * each, interleaved; updates keep the key count at n. Both stores are deleted before the next size.
 */
async function sizeCurves(ctx: BenchContext): Promise<BenchCurve[]> {
  const rate: CurvePoint[] = []
  const open: CurvePoint[] = []
  const memory: CurvePoint[] = []
  await forEachSize(ctx, 'mvcc', async (n, dir) => {
    const quireDir = join(dir, 'quire')
    const lmdbPath = join(dir, 'lmdb')
    process.stdout.write(`  ${sizeLabel(n)} keys: filling\n`)
    await Promise.all([runChild('fill-store', ['mvcc', quireDir, String(n)]), fillLmdb(lmdbPath, n)])
    const m = await runChild<SizePoint>('size-point', ['mvcc', quireDir, lmdbPath, join(dir, 'scratch'), String(n), String(ctx.pointSeconds)])
    if (m.entries !== n) throw new Error(`Quire opened ${m.entries} of ${n} keys`)
    open.push({ series: '@quire/mvcc open (replay the WAL), fresh process', x: n, y: m.open.seconds }, { series: 'lmdb open + one get', x: n, y: m.peerOpenSeconds })
    memory.push(
      { series: '@quire/mvcc heap per key', x: n, y: m.open.heapBytes / n },
      { series: '@quire/mvcc external (buffers) per key', x: n, y: m.open.externalBytes / n },
    )
    for (const [series, y] of Object.entries(m.rates)) rate.push({ series, x: n, y })
    process.stdout.write(`  ${sizeLabel(n)} keys: open ${m.open.seconds.toFixed(3)} s, ${Math.round(m.open.heapBytes / n)} B heap + ${Math.round(m.open.externalBytes / n)} B external per key\n`)
    process.stdout.write(`  ${sizeLabel(n)} keys: ${Object.entries(m.rates).map(([series, y]) => `${series} ${Math.round(y)}/s`).join(', ')}\n`)
  })
  const sizes = { title: 'keys in the store', log: true }
  return [
    { id: 'size', title: 'MVCC: durable small tx (256 concurrent) against store size', x: sizes, y: { title: 'tx/s', log: true }, points: rate, note: `each store built new with exactly the stated number of keys (one version each, 100 B values); ${ctx.pointSeconds} s per subject per round, 2 interleaved rounds; the transactions update keys of the store, so its key count stays the same` },
    { id: 'size', title: 'MVCC: open (recovery) time against store size', x: sizes, y: { title: 'seconds (lower is better)', log: true }, points: open, note: 'each opened in a fresh process (Quire: no checkpoint, the whole WAL of the fill replayed, transactions of 5 000 puts), page cache warm' },
    { id: 'size', title: 'MVCC: bytes of memory per key held by the open store', x: sizes, y: { title: 'bytes per key' }, points: memory, note: 'heapUsed and external after open minus before, both after two forced GCs, divided by the keys (one version each, 100 B values; fixed buffers of an open store weigh on small stores); lmdb holds its data in the page cache, outside the process heap' },
  ]
}

export const mvccCurves: Readonly<Record<string, (ctx: BenchContext) => Promise<BenchCurve[]>>> = {
  concurrency: (ctx) =>
    withStores(ctx, 'c', async (q, l, c) => [await concurrencyCurve(ctx, 'MVCC: durable small tx (get + put) against concurrency', smallTx(100_000, q, l, c), 'classic-level: get and batch are not one transaction')]),
  latency: (ctx) => withStores(ctx, 'l', async (q, l, c) => [await latencyCurve(ctx, 'MVCC: latency of one durable small tx, 1 at a time', smallTx(100_000, q, l, c))]),
  size: sizeCurves,
  memory: async (ctx) => [
    await memoryCurve(ctx, 'MVCC: resident memory under 256 concurrent durable small tx', [
      { series: "@quire/mvcc (snapshot, sync 'always')", kind: 'mvcc' },
      { series: 'lmdb (transaction: get + put)', kind: 'lmdb-tx' },
    ]),
  ],
}
