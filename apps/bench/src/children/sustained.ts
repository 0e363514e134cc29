// Child: runs one subject under a sustained durable load (N concurrent writers for S seconds)
// and prints {ops, seconds, samples: [{t, rss, heap}]}: resident and heap memory every 250 ms.
// Usage: sustained.ts <kind> <dir> <seconds> <writers>; kinds are the keys of SUBJECTS below.
import { join } from 'node:path'
import { open as openLmdb } from 'lmdb'
import { EventStore, walBackend } from '@quire/event-store'
import { MvccStore } from '@quire/mvcc'
import { Wal } from '@quire/wal'
import { SqliteEventTable } from '../suites/event-store/sqlite-event-table.js'

const [kind, dir, secondsText, writersText] = process.argv.slice(2) as [string, string, string, string]
const VALUE = new Uint8Array(100).fill(0x5a)
const key = (i: number): string => `key-${String(i).padStart(10, '0')}`
const deposited = (i: number) => ({ type: 'Deposited', data: { amount: i % 1000, currency: 'EUR' } })

interface Subject {
  op(i: number): Promise<unknown>
  close(): Promise<void>
}

const SUBJECTS: Record<string, () => Promise<Subject>> = {
  wal: async () => {
    const wal = await Wal.open(dir)
    return { op: (i) => wal.append({ op: 'put', key: Buffer.from(key(i)), value: VALUE }), close: () => wal.close() }
  },
  lmdb: async () => {
    const db = openLmdb({ path: dir })
    return { op: (i) => db.put(key(i), Buffer.from(VALUE)), close: () => db.close() }
  },
  mvcc: async () => {
    const db = await MvccStore.open(dir, { sync: 'always' })
    return {
      op: (i) =>
        db.transaction(async (tx) => {
          await tx.get(key((i * 7919) % 100_000))
          await tx.put(key(i % 100_000), VALUE)
        }, { retries: 100 }),
      close: () => db.close(),
    }
  },
  'lmdb-tx': async () => {
    const db = openLmdb({ path: dir })
    return {
      op: (i) =>
        db.transaction(() => {
          db.get(key((i * 7919) % 100_000))
          return db.put(key(i % 100_000), Buffer.from(VALUE))
        }),
      close: () => db.close(),
    }
  },
  'event-store-wal': async () => {
    const store = await EventStore.open({ backend: walBackend(dir) })
    return { op: (i) => store.appendToStream(`acct-${i}`, [deposited(i)], { expectedRevision: 'no_stream' }), close: () => store.close() }
  },
  'sqlite-events': async () => {
    const table = SqliteEventTable.open(join(dir, 'events.db'))
    return { op: (i) => Promise.resolve(table.append(`acct-${i}`, [deposited(i)], -1)), close: async () => table.close() }
  },
}

const make = SUBJECTS[kind]
if (make === undefined) throw new Error(`no subject '${kind}' (have ${Object.keys(SUBJECTS).join(', ')})`)
const subject = await make()
const seconds = Number(secondsText)
const started = process.hrtime.bigint()
const deadline = started + BigInt(Math.round(seconds * 1e9))
// Sampled from the writers' loop, not a timer: a synchronous subject (SQLite) never lets a
// timer run. Sample k is taken at the first operation end after k × 250 ms, and reported at k × 250 ms.
const TICK_NS = 250_000_000n
const samples: { t: number; rss: number; heap: number }[] = []
let tick = 0n
const sampleDue = (): void => {
  const now = process.hrtime.bigint()
  if (now - started < tick * TICK_NS) return
  const m = process.memoryUsage()
  samples.push({ t: Number(tick) / 4, rss: m.rss, heap: m.heapUsed })
  tick = (now - started) / TICK_NS + 1n
}
sampleDue()
let next = 0
await Promise.all(
  Array.from({ length: Number(writersText) }, async () => {
    while (process.hrtime.bigint() < deadline) {
      await subject.op(next++)
      sampleDue()
    }
  }),
)
const elapsed = Number(process.hrtime.bigint() - started) / 1e9
await subject.close()
process.stdout.write(JSON.stringify({ ops: next, seconds: elapsed, samples }))
