import { randomInt } from 'node:crypto'
import { ClassicLevel } from 'classic-level'
import { open as openLmdb } from 'lmdb'
import { MvccStore } from '@quire/mvcc'
import { timeOps, type BenchRow, type BenchSuite } from '../harness.js'

/** Keys the small transactions pick from (read one, write one). */
const KEY_SPACE = 100_000
const VALUE_BYTES = 100
const CONCURRENCY = 256

const keyOf = (i: number): string => `acct-${String(i % KEY_SPACE).padStart(8, '0')}`
const valueOf = (i: number): Uint8Array => {
  const v = new Uint8Array(VALUE_BYTES)
  v.fill(i & 0xff)
  return v
}

/** One small transaction on Quire: read one key, write another, commit (retrying on conflict). */
function quireTx(db: MvccStore): (i: number) => Promise<unknown> {
  return (i) =>
    db.transaction(async (tx) => {
      await tx.get(keyOf(randomInt(KEY_SPACE)))
      await tx.put(keyOf(i * 7919), valueOf(i))
    }, { retries: 100 })
}

export const suite: BenchSuite = {
  name: 'mvcc',
  async run(ctx) {
    const rows: BenchRow[] = []
    const scale = ctx.scale
    const durableOps = Math.round(100_000 * scale)

    // Durable small transactions, 256 concurrent, each peer with its own transactions.
    {
      const group = `small tx (get + put, ${VALUE_BYTES} B), ${CONCURRENCY} concurrent, durable`
      const lmdb = openLmdb({ path: await ctx.subdir('lmdb') })
      const r1 = await timeOps(durableOps, CONCURRENCY, (i) =>
        lmdb.transaction(() => {
          lmdb.get(keyOf(randomInt(KEY_SPACE)))
          return lmdb.put(keyOf(i * 7919), Buffer.from(valueOf(i)))
        }),
      )
      await lmdb.close()
      rows.push({ group, subject: 'lmdb (transaction: get + put)', ...r1, baseline: true })

      const classic = new ClassicLevel<string, Uint8Array>(await ctx.subdir('classic'), { valueEncoding: 'view' })
      await classic.open()
      const classicOps = Math.round(20_000 * scale)
      const r2 = await timeOps(classicOps, CONCURRENCY, async (i) => {
        await classic.get(keyOf(randomInt(KEY_SPACE)))
        await classic.batch([{ type: 'put', key: keyOf(i * 7919), value: valueOf(i) }], { sync: true })
      })
      await classic.close()
      rows.push({ group, subject: 'classic-level (get + batch, sync: true)', ...r2, note: 'no isolation: not a transaction' })

      const db = await MvccStore.open(await ctx.subdir('quire-durable'), { sync: 'always' })
      const r3 = await timeOps(durableOps, CONCURRENCY, quireTx(db))
      await db.close()
      rows.push({ group, subject: "@quire/mvcc (snapshot, sync 'always')", ...r3 })

      const ser = await MvccStore.open(await ctx.subdir('quire-durable-ser'), { sync: 'always', isolation: 'serializable' })
      const r4 = await timeOps(durableOps, CONCURRENCY, quireTx(ser))
      await ser.close()
      rows.push({ group, subject: "@quire/mvcc (serializable, sync 'always')", ...r4 })
    }

    // In memory: the same transactions without fsync.
    {
      const group = `small tx, ${CONCURRENCY} concurrent, no fsync`
      const memOps = Math.round(300_000 * scale)
      const db = await MvccStore.open(await ctx.subdir('quire-none'), { sync: 'none' })
      const r = await timeOps(memOps, CONCURRENCY, quireTx(db))
      await db.close()
      rows.push({ group, subject: "@quire/mvcc (snapshot, sync 'none')", ...r, baseline: true })
      const lmdb = openLmdb({ path: await ctx.subdir('lmdb-nosync'), noSync: true })
      const r2 = await timeOps(memOps, CONCURRENCY, (i) =>
        lmdb.transaction(() => {
          lmdb.get(keyOf(randomInt(KEY_SPACE)))
          return lmdb.put(keyOf(i * 7919), Buffer.from(valueOf(i)))
        }),
      )
      await lmdb.close()
      rows.push({ group, subject: 'lmdb (transaction, noSync)', ...r2 })
    }

    // Recovery: open a store whose WAL holds N committed transactions (no checkpoint).
    {
      const n = Math.round(1_000_000 * scale)
      const dir = await ctx.subdir('quire-recovery')
      const db = await MvccStore.open(dir, { sync: 'none' })
      await timeOps(n, CONCURRENCY, (i) =>
        db.transaction(async (tx) => {
          await tx.put(keyOf(i), valueOf(i))
        }),
      )
      await db.close()
      const started = process.hrtime.bigint()
      const again = await MvccStore.open(dir)
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const keys = again.stats().keys
      await again.close()
      rows.push({
        group: 'recovery (open = replay the WAL)',
        subject: `@quire/mvcc, ${n.toLocaleString('en')} committed tx`,
        ops: n,
        seconds,
        baseline: true,
        note: `${seconds.toFixed(2)} s to open; ${keys.toLocaleString('en')} keys`,
      })
    }
    return rows
  },
}
