import { randomInt } from 'node:crypto'
import { ClassicLevel } from 'classic-level'
import { open as openLmdb } from 'lmdb'
import { MvccStore } from '@quire/mvcc'
import type { BenchCurve, CurvePoint } from '../../curves.js'
import { ratesAt, type BenchContext, type PointSubject } from '../../harness.js'
import { concurrencyCurve } from '../../curves/concurrency.js'
import { latencyCurve } from '../../curves/latency.js'
import { memoryCurve } from '../../curves/memory.js'
import { sizesUpTo, timed } from '../../curves/size.js'
import { runChild } from '../../children/run-child.js'

const VALUE = new Uint8Array(100).fill(0x5a)
const keyOf = (i: number): string => `acct-${String(i).padStart(10, '0')}`
const FILL_TX = 1000

/** Small transactions (read one key of `space`, write one), Quire and its peers. */
function smallTx(space: number, quire: MvccStore, lmdb: ReturnType<typeof openLmdb>, level?: ClassicLevel<string, Uint8Array>): PointSubject[] {
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

interface OpenMeasure {
  readonly seconds: number
  readonly heapBytes: number
  readonly externalBytes: number
  readonly entries: number
}

/**
 * Throughput, open time and index memory against store size: an MvccStore and an lmdb database
 * grown to 10 k ... 10 M keys (capped by --max-entries; 100 B values, filled without fsync in
 * transactions of 1000 puts); at each size the store is opened (recovered from its WAL, no
 * checkpoint) in a fresh process that reports the heap and external memory the open store holds,
 * then 256 concurrent durable small transactions run over the whole key space (their commits stay
 * in the WAL that the next size's open replays).
 */
async function sizeCurves(ctx: BenchContext): Promise<BenchCurve[]> {
  const quireDir = await ctx.subdir('quire')
  const lmdbPath = await ctx.subdir('lmdb')
  const rate: CurvePoint[] = []
  const open: CurvePoint[] = []
  const memory: CurvePoint[] = []
  let have = 0
  for (const n of sizesUpTo(ctx.maxEntries)) {
    {
      const quire = await MvccStore.open(quireDir, { sync: 'none' })
      const lmdb = openLmdb({ path: lmdbPath })
      for (let from = have; from < n; from += FILL_TX) {
        const to = Math.min(n, from + FILL_TX)
        await quire.transaction(async (tx) => {
          for (let i = from; i < to; i++) await tx.put(keyOf(i), VALUE)
        })
        await lmdb.transaction(() => {
          for (let i = from; i < to; i++) void lmdb.put(keyOf(i), Buffer.from(VALUE))
        })
      }
      have = n
      await quire.close()
      await lmdb.close()
    }
    const m = await runChild<OpenMeasure>('open-store', ['mvcc', quireDir, await ctx.subdir(`scratch-${n}`)])
    const l = await timed(async () => {
      const db = openLmdb({ path: lmdbPath })
      const got: unknown = db.get(keyOf(n - 1))
      await db.close()
      return got
    })
    if (l.value === undefined || m.entries !== n) throw new Error(`a store lost entries (Quire opened ${m.entries} of ${n} keys)`)
    open.push({ series: '@quire/mvcc open (replay the WAL), fresh process', x: n, y: m.seconds }, { series: 'lmdb open + one get', x: n, y: l.seconds })
    memory.push(
      { series: '@quire/mvcc heap per key', x: n, y: m.heapBytes / n },
      { series: '@quire/mvcc external (buffers) per key', x: n, y: m.externalBytes / n },
    )
    process.stdout.write(`  ${n} keys: open ${m.seconds.toFixed(3)} s, ${Math.round(m.heapBytes / n)} B heap + ${Math.round(m.externalBytes / n)} B external per key\n`)
    // The timed transactions update keys of the store (its key count stays n), after the open.
    {
      const quire = await MvccStore.open(quireDir, { sync: 'always' })
      const lmdb = openLmdb({ path: lmdbPath })
      const rates = await ratesAt(smallTx(n, quire, lmdb), 256, { seconds: ctx.pointSeconds, rounds: 2 })
      for (const [series, y] of rates) rate.push({ series, x: n, y })
      process.stdout.write(`  ${n} keys: ${[...rates].map(([series, y]) => `${series} ${Math.round(y)}/s`).join(', ')}\n`)
      await quire.close()
      await lmdb.close()
    }
  }
  const sizes = { title: 'keys in the store', log: true }
  return [
    { id: 'size', title: 'MVCC: durable small tx (256 concurrent) against store size', x: sizes, y: { title: 'tx/s', log: true }, points: rate, note: `${ctx.pointSeconds} s per subject per round, 2 interleaved rounds` },
    { id: 'size', title: 'MVCC: open (recovery) time against store size', x: sizes, y: { title: 'seconds (lower is better)', log: true }, points: open, note: 'Quire opened in a fresh process (no checkpoint: the whole WAL replayed, with the timed transactions of the smaller sizes); lmdb in the bench process' },
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
