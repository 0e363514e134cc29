import { fdatasync, open, write } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { ClassicLevel } from 'classic-level'
import { open as openLmdb } from 'lmdb'
import { Wal } from '@quire/wal'
import { timeInterleaved, type BenchRow, type BenchSuite } from '../harness.js'

// The raw floor uses the callback API, as NodeFileSystem does, so the comparison measures what
// the WAL adds (framing, CRC, group commit) on top of `write + fdatasync`.
const openP = promisify(open)
const fdatasyncP = promisify(fdatasync)
const writeAll = (fd: number, data: Uint8Array): Promise<void> =>
  new Promise((resolve, reject) => write(fd, data, 0, data.byteLength, null, (err) => (err ? reject(err) : resolve())))

const VALUE_BYTES = 100

// A pool of distinct values, so that making a value costs no subject anything measurable.
const VALUES = Array.from({ length: 1024 }, (_, i) => {
  const v = Buffer.alloc(VALUE_BYTES)
  for (let j = 0; j < VALUE_BYTES; j++) v[j] = (i * 31 + j * 7) & 0xff
  return v
})
const valueOf = (i: number): Buffer => VALUES[i & 1023]!
const keyOf = (i: number): Buffer => Buffer.from(`key-${i.toString().padStart(10, '0')}`)


interface Peers {
  readonly raw: (i: number) => Promise<void>
  readonly rawNoSync: (i: number) => Promise<void>
  readonly wal: Wal
  readonly walNone: Wal
  readonly level: ClassicLevel<Buffer, Buffer>
  readonly lmdb: ReturnType<typeof openLmdb>
  readonly sqlite: Database.Database
  close(): Promise<void>
}

async function openPeers(ctx: { subdir(name: string): Promise<string> }, tag: string): Promise<Peers> {
  // Raw floor: one record (a 16-byte header + the value) appended and fdatasync'ed per operation.
  const rawFd = await openP(join(await ctx.subdir(`raw-${tag}`), 'log'), 'a')
  const rawNoSyncFd = await openP(join(await ctx.subdir(`raw-nosync-${tag}`), 'log'), 'a')
  const record = (i: number): Buffer => Buffer.concat([keyOf(i).subarray(0, 16), valueOf(i)])
  const raw = async (i: number): Promise<void> => {
    await writeAll(rawFd, record(i))
    await fdatasyncP(rawFd)
  }
  const rawNoSync = (i: number): Promise<void> => writeAll(rawNoSyncFd, record(i))
  const wal = await Wal.open(await ctx.subdir(`wal-${tag}`))
  const walNone = await Wal.open(await ctx.subdir(`wal-none-${tag}`), { sync: 'none' })
  const level = new ClassicLevel<Buffer, Buffer>(await ctx.subdir(`level-${tag}`), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await level.open()
  const lmdb = openLmdb({ path: await ctx.subdir(`lmdb-${tag}`) })
  const sqlite = new Database(join(await ctx.subdir(`sqlite-${tag}`), 'db.sqlite'))
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.exec('CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB)')
  return {
    raw,
    rawNoSync,
    wal,
    walNone,
    level,
    lmdb,
    sqlite,
    async close() {
      await wal.close()
      await walNone.close()
      await level.close()
      await lmdb.close()
      sqlite.close()
    },
  }
}

export const suite: BenchSuite = {
  name: 'wal',
  async run(ctx) {
    const rows: BenchRow[] = []
    const s = ctx.scale

    // Durable appends, one writer at a time.
    {
      const p = await openPeers(ctx, '1')
      const insert = p.sqlite.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)')
      rows.push(
        ...(await timeInterleaved(
          'durable put, 1 writer, 100 B values',
          [
            { subject: 'raw write + fdatasync loop', ops: 900 * s, op: p.raw, baseline: true, note: 'the physical floor' },
            { subject: '@quire/wal', ops: 900 * s, op: (i) => p.wal.append({ op: 'put', key: keyOf(i), value: valueOf(i) }) },
            { subject: 'classic-level (sync: true)', ops: 900 * s, op: (i) => p.level.put(keyOf(i), valueOf(i), { sync: true }) },
            { subject: 'lmdb', ops: 900 * s, op: (i) => p.lmdb.put(keyOf(i), valueOf(i)) },
            {
              subject: 'better-sqlite3 (WAL, synchronous=FULL)',
              ops: 900 * s,
              op: (i) => Promise.resolve(insert.run(keyOf(i), valueOf(i))),
              note: 'one insert per transaction',
            },
          ],
          { concurrency: 1, bytesPerOp: VALUE_BYTES },
        )),
      )
      await p.close()
    }

    // Durable appends, 256 concurrent writers.
    {
      const p = await openPeers(ctx, '256')
      const insert = p.sqlite.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)')
      rows.push(
        ...(await timeInterleaved(
          'durable put, 256 writers, 100 B values',
          [
            { subject: 'raw write + fdatasync loop', ops: 6_000 * s, op: p.raw, note: '256 independent write + fdatasync' },
            { subject: '@quire/wal', ops: 150_000 * s, op: (i) => p.wal.append({ op: 'put', key: keyOf(i), value: valueOf(i) }) },
            { subject: 'classic-level (sync: true)', ops: 15_000 * s, op: (i) => p.level.put(keyOf(i), valueOf(i), { sync: true }) },
            { subject: 'lmdb', ops: 90_000 * s, op: (i) => p.lmdb.put(keyOf(i), valueOf(i)), baseline: true },
            {
              subject: 'better-sqlite3 (WAL, synchronous=FULL)',
              ops: 900 * s,
              op: (i) => Promise.resolve(insert.run(keyOf(i), valueOf(i))),
              note: 'synchronous API: writers queue behind each other',
            },
          ],
          { concurrency: 256, bytesPerOp: VALUE_BYTES },
        )),
      )
      await p.close()
    }

    // Not durable: handed to the OS only.
    {
      const p = await openPeers(ctx, 'nosync')
      rows.push(
        ...(await timeInterleaved(
          "put without fsync (sync: 'none'), 100 B values",
          [
            { subject: 'raw write loop (no fsync), 1 writer', ops: 60_000 * s, op: p.rawNoSync, baseline: true },
            { subject: "@quire/wal sync 'none', 1 writer", ops: 60_000 * s, op: (i) => p.walNone.append({ op: 'put', key: keyOf(i), value: valueOf(i) }) },
            {
              subject: "@quire/wal sync 'none', 256 writers",
              ops: 600_000 * s,
              op: (i) => p.walNone.append({ op: 'put', key: keyOf(i), value: valueOf(i) }),
              concurrency: 256,
            },
            {
              subject: 'classic-level (sync: false), 256 writers',
              ops: 150_000 * s,
              op: (i) => p.level.put(keyOf(i), valueOf(i)),
              concurrency: 256,
            },
          ],
          { concurrency: 1, bytesPerOp: VALUE_BYTES },
        )),
      )
      await p.close()
    }

    // Replay: a log of 100-byte entries read back from the start.
    {
      const dir = await ctx.subdir('wal-replay')
      const count = 500_000 * s
      const writer = await Wal.open(dir, { sync: 'none' })
      const batch = Array.from({ length: 1000 }, (_, i) => ({ op: 'put' as const, key: keyOf(i), value: valueOf(i) }))
      for (let i = 0; i < count; i += batch.length) await writer.appendBatch(batch)
      await writer.close()
      const reader = await Wal.open(dir)
      let n = 0
      const started = process.hrtime.bigint()
      for await (const e of reader.replay()) n += e.seq > 0 ? 1 : 0
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      await reader.close()
      rows.push({ group: 'replay', subject: '@quire/wal replay()', ops: n, seconds, bytes: n * VALUE_BYTES, baseline: true, note: `${n} entries: reads 256 KiB chunks, checks every CRC, builds entry objects` })
    }
    return rows
  },
}
