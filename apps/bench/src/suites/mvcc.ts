import { execFile } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ClassicLevel } from 'classic-level'
import { open as openLmdb } from 'lmdb'
import { MvccStore } from '@quire/mvcc'
import { rateOf } from '../goals.js'
import { timeInterleaved, timeOps, type BenchContext, type BenchRow, type BenchSuite } from '../harness.js'
import { mvccCurves } from './mvcc/curves.js'

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


const lmdbTx =
  (lmdb: ReturnType<typeof openLmdb>) =>
  (i: number): Promise<unknown> =>
    lmdb.transaction(() => {
      lmdb.get(keyOf(randomInt(KEY_SPACE)))
      return lmdb.put(keyOf(i * 7919), Buffer.from(valueOf(i)))
    })

const RECOVERY_SCRIPT = `
import { MvccStore } from '@quire/mvcc'
const started = process.hrtime.bigint()
const db = await MvccStore.open(process.argv[1])
const seconds = Number(process.hrtime.bigint() - started) / 1e9
const keys = db.stats().keys
await db.close()
process.stdout.write(JSON.stringify({ seconds, keys }))
`

/** Times `MvccStore.open(dir)` (recovery) in a new Node process. */
async function openInChild(dir: string): Promise<{ seconds: number; keys: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--conditions=@quire/source', '--input-type=module', '-e', RECOVERY_SCRIPT, dir],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), maxBuffer: 1 << 20 },
  )
  return JSON.parse(stdout) as { seconds: number; keys: number }
}

const DURABLE = `small tx (get + ${VALUE_BYTES} B put), ${CONCURRENCY} concurrent, durable`
const NO_SYNC = `small tx, ${CONCURRENCY} concurrent, no fsync`
const RECOVERY = 'recovery (open = replay the WAL)'

/** Issue 17's MVCC goals, from the table's rows; recovery is judged only on a 1 M-tx store. */
function judge(ctx: BenchContext, rows: readonly BenchRow[], recovered: number): void {
  const si = rateOf(rows, DURABLE, "@quire/mvcc (snapshot, sync 'always')")
  ctx.goal({ goal: 'MVCC durable small tx at 256 ≥ 100 k tx/s', measured: si, target: 100_000, direction: 'atLeast', unit: 'tx/s' })
  ctx.goal({ goal: 'MVCC durable small tx at 256 ≥ 1.3× lmdb', measured: si / rateOf(rows, DURABLE, 'lmdb (transaction: get + put)'), target: 1.3, direction: 'atLeast', unit: '×' })
  ctx.goal({
    goal: "MVCC sync 'none' ≥ 1.0× lmdb noSync",
    measured: rateOf(rows, NO_SYNC, "@quire/mvcc (snapshot, sync 'none')") / rateOf(rows, NO_SYNC, 'lmdb (transaction, noSync)'),
    target: 1,
    direction: 'atLeast',
    unit: '×',
  })
  const [replayed, checkpointed] = rows.filter((r) => r.group === RECOVERY)
  const full = recovered >= 1_000_000
  const small = { judged: false, note: `store of ${recovered.toLocaleString('en')} tx: judged on 1 M` }
  ctx.goal({ goal: 'MVCC recovery of 1 M tx ≤ 1 s (no checkpoint)', measured: replayed?.seconds ?? Number.NaN, target: 1, direction: 'atMost', unit: 's', ...(full ? {} : small) })
  ctx.goal({ goal: 'MVCC recovery of 1 M tx ≤ 0.2 s after a checkpoint', measured: checkpointed?.seconds ?? Number.NaN, target: 0.2, direction: 'atMost', unit: 's', ...(full ? {} : small) })
}

export const suite: BenchSuite = {
  name: 'mvcc',
  curves: mvccCurves,
  async run(ctx) {
    const rows: BenchRow[] = []
    const scale = ctx.scale

    // Durable small transactions, 256 concurrent.
    {
      const ops = Math.round(80_000 * scale)
      const lmdb = openLmdb({ path: await ctx.subdir('lmdb') })
      const classic = new ClassicLevel<string, Uint8Array>(await ctx.subdir('classic'), { valueEncoding: 'view' })
      await classic.open()
      const si = await MvccStore.open(await ctx.subdir('quire-si'), { sync: 'always' })
      const ser = await MvccStore.open(await ctx.subdir('quire-ser'), { sync: 'always', isolation: 'serializable' })
      rows.push(
        ...(await timeInterleaved(DURABLE, [
          { subject: 'lmdb (transaction: get + put)', ops, op: lmdbTx(lmdb), baseline: true },
          {
            subject: 'classic-level (get + batch, sync: true)',
            ops: Math.round(ops / 4),
            op: async (i) => {
              await classic.get(keyOf(randomInt(KEY_SPACE)))
              await classic.batch([{ type: 'put', key: keyOf(i * 7919), value: valueOf(i) }], { sync: true })
            },
            note: 'no isolation: get and batch are not one transaction',
          },
          { subject: "@quire/mvcc (snapshot, sync 'always')", ops, op: quireTx(si) },
          { subject: "@quire/mvcc (serializable, sync 'always')", ops, op: quireTx(ser) },
        ], { concurrency: CONCURRENCY, rounds: 4 })),
      )
      await Promise.all([lmdb.close(), classic.close(), si.close(), ser.close()])
    }

    // The same transactions without fsync.
    {
      const ops = Math.round(150_000 * scale)
      const db = await MvccStore.open(await ctx.subdir('quire-none'), { sync: 'none' })
      const lmdb = openLmdb({ path: await ctx.subdir('lmdb-nosync'), noSync: true })
      rows.push(
        ...(await timeInterleaved(NO_SYNC, [
          { subject: "@quire/mvcc (snapshot, sync 'none')", ops, op: quireTx(db), baseline: true },
          { subject: 'lmdb (transaction, noSync)', ops, op: lmdbTx(lmdb) },
        ], { concurrency: CONCURRENCY, rounds: 4 })),
      )
      await Promise.all([db.close(), lmdb.close()])
    }

    // Recovery: open a store whose WAL holds N committed transactions (no checkpoint).
    // 1 M at scale 1: writing them (sync none) takes most of this suite's time.
    const n = Math.round(1_000_000 * scale)
    {
      const dir = await ctx.subdir('quire-recovery')
      const db = await MvccStore.open(dir, { sync: 'none' })
      await timeOps(n, CONCURRENCY, (i) =>
        db.transaction(async (tx) => {
          await tx.put(keyOf(i), valueOf(i))
        }),
      )
      await db.close()
      // Opened in a fresh process, as after a crash: this one's heap is full of the runs above.
      const { seconds, keys } = await openInChild(dir)
      rows.push({
        group: RECOVERY,
        subject: `@quire/mvcc, ${n.toLocaleString('en')} committed tx`,
        ops: n,
        seconds,
        baseline: true,
        note: `${seconds.toFixed(2)} s to open; ${keys.toLocaleString('en')} keys`,
      })
      // The same store after a checkpoint: load the snapshot, skip what the WAL still holds.
      const again = await MvccStore.open(dir)
      await again.checkpoint()
      await again.close()
      const after = await openInChild(dir)
      rows.push({
        group: RECOVERY,
        subject: `@quire/mvcc, same store after checkpoint()`,
        ops: n,
        seconds: after.seconds,
        note: `${after.seconds.toFixed(2)} s to open; ${after.keys.toLocaleString('en')} keys`,
      })
    }
    judge(ctx, rows, n)
    return rows
  },
}
