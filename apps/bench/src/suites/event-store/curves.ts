import { join } from 'node:path'
import { getInMemoryEventStore, STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend } from '@quire/event-store'
import type { BenchCurve, CurvePoint } from '../../curves.js'
import { ratesAt, type BenchContext, type PointSubject } from '../../harness.js'
import { concurrencyCurve } from '../../curves/concurrency.js'
import { latencyCurve } from '../../curves/latency.js'
import { memoryCurve } from '../../curves/memory.js'
import { sizesUpTo, timed } from '../../curves/size.js'
import { runChild } from '../../children/run-child.js'
import { event, EVENTS_PER_STREAM, fill, STREAMS_PER_COMMIT } from './fill.js'
import { SqliteEventTable } from './sqlite-event-table.js'

const append = (store: EventStore, stream: string, i: number): Promise<unknown> =>
  store.appendToStream(stream, [event(i)], { expectedRevision: 'no_stream' })

/** Quire's three embedded backends (durable), the SQLite event table and Emmett's in-memory store. */
async function withAppenders<T>(ctx: BenchContext, tag: string, emmett: boolean, body: (subjects: PointSubject[]) => Promise<T>): Promise<T> {
  const wal = await EventStore.open({ backend: walBackend(await ctx.subdir(`wal-${tag}`)) })
  const ndjson = await EventStore.open({ backend: ndjsonBackend(join(await ctx.subdir(`ndjson-${tag}`), 'events.ndjson')) })
  const rk = await EventStore.open({ backend: recordKeeperBackend(await ctx.subdir(`rk-${tag}`)) })
  const table = SqliteEventTable.open(join(await ctx.subdir(`sqlite-${tag}`), 'events.db'))
  const subjects: PointSubject[] = [
    { series: 'Quire walBackend', op: (i) => append(wal, `acct-${i}`, i) },
    { series: 'Quire ndjsonBackend', op: (i) => append(ndjson, `acct-${i}`, i) },
    { series: 'Quire recordKeeperBackend', op: (i) => append(rk, `acct-${i}`, i) },
    { series: 'better-sqlite3 event table (eventsourcing layout)', op: (i) => Promise.resolve(table.append(`acct-${i}`, [event(i)], -1)) },
  ]
  if (emmett) {
    const mem = getInMemoryEventStore()
    subjects.push({
      series: 'Emmett in-memory store (NOT durable)',
      op: (i) => mem.appendToStream(`acct-${i}`, [event(i)], { expectedStreamVersion: STREAM_DOES_NOT_EXIST }),
    })
  }
  try {
    return await body(subjects)
  } finally {
    await Promise.all([wal.close(), ndjson.close(), rk.close()])
    table.close()
  }
}

interface OpenMeasure {
  readonly seconds: number
  readonly heapBytes: number
  readonly externalBytes: number
}

/**
 * Throughput, open time and index memory against store size: an event store on the WAL backend
 * and the SQLite event table grown to 10 k ... 10 M events (capped by --max-entries; commits of
 * 100 new streams × 10 events, the WAL backend filled without fsync); at each size each store
 * is opened, Quire in a fresh process that reports the heap and external memory the open store
 * holds, then 256 concurrent durable single-event appends to new streams run on it.
 */
async function sizeCurves(ctx: BenchContext): Promise<BenchCurve[]> {
  const walDir = await ctx.subdir('wal')
  const tablePath = join(await ctx.subdir('sqlite'), 'events.db')
  const rate: CurvePoint[] = []
  const open: CurvePoint[] = []
  const memory: CurvePoint[] = []
  // Events each store holds: the timed appends of one size add events too, and the next size's
  // fill counts them, so that every x is the store's true size (fills round up to whole streams
  // of 10 events: at most 9 more).
  const held = { wal: 0, sqlite: 0 }
  const perStream = EVENTS_PER_STREAM
  for (const [level, n] of sizesUpTo(ctx.maxEntries).entries()) {
    {
      const store = await EventStore.open({ backend: walBackend(walDir, { sync: 'none' }) })
      if (n > held.wal) await fill(store, n - held.wal, `fill${level}`)
      held.wal += Math.max(0, Math.ceil((n - held.wal) / perStream) * perStream)
      await store.close()
      const table = SqliteEventTable.open(tablePath)
      for (let c = 0; held.sqlite < n; c++) {
        const streams = Math.min(STREAMS_PER_COMMIT, Math.ceil((n - held.sqlite) / perStream))
        table.load(Array.from({ length: streams }, (_, k) => ({ stream: `fill${level}-${c}-${k}`, events: Array.from({ length: perStream }, (_, i) => event(i)) })))
        held.sqlite += streams * perStream
      }
      table.close()
    }
    const m = await runChild<OpenMeasure>('open-store', ['event-store-wal', walDir, await ctx.subdir(`scratch-${n}`)])
    const q = await timed(async () => {
      const table = SqliteEventTable.open(tablePath)
      const rows = table.eventsAfter(`fill${level}-0-0`, -1)
      table.close()
      return rows.length
    })
    if (q.value !== perStream) throw new Error(`the SQLite table lost events (${q.value} in a stream)`)
    open.push({ series: 'Quire walBackend EventStore.open, fresh process', x: n, y: m.seconds }, { series: 'better-sqlite3 event table open + one stream read', x: n, y: q.seconds })
    memory.push(
      { series: 'Quire walBackend heap per event', x: n, y: m.heapBytes / n },
      { series: 'Quire walBackend external (buffers) per event', x: n, y: m.externalBytes / n },
    )
    process.stdout.write(`  ${n} events: open ${m.seconds.toFixed(3)} s, ${Math.round(m.heapBytes / n)} B heap + ${Math.round(m.externalBytes / n)} B external per event\n`)
    {
      const store = await EventStore.open({ backend: walBackend(walDir) })
      const table = SqliteEventTable.open(tablePath)
      const rates = await ratesAt(
        [
          { series: 'Quire walBackend', op: (i) => (held.wal++, append(store, `new${level}-${i}`, i)) },
          { series: 'better-sqlite3 event table (eventsourcing layout)', op: (i) => (held.sqlite++, Promise.resolve(table.append(`new${level}-${i}`, [event(i)], -1))) },
        ],
        256,
        { seconds: ctx.pointSeconds, rounds: 2 },
      )
      for (const [series, y] of rates) rate.push({ series, x: n, y })
      process.stdout.write(`  ${n} events: ${[...rates].map(([series, y]) => `${series} ${Math.round(y)}/s`).join(', ')}\n`)
      await store.close()
      table.close()
    }
  }
  const sizes = { title: 'events in the store', log: true }
  return [
    { id: 'size', title: 'Event store: durable appends (256 concurrent) against store size', x: sizes, y: { title: 'events/s', log: true }, points: rate, note: `${ctx.pointSeconds} s per subject per round, 2 interleaved rounds; one event to a new stream per append` },
    { id: 'size', title: 'Event store: open (recovery) time against store size', x: sizes, y: { title: 'seconds (lower is better)', log: true }, points: open, note: 'Quire in a fresh process (index rebuilt from the log); the SQLite table in the bench process' },
    { id: 'size', title: 'Event store: bytes of memory per event held by the open store', x: sizes, y: { title: 'bytes per event' }, points: memory, note: 'heapUsed and external after open minus before, both after two forced GCs, divided by the events (commits of 100 streams × 10 events; fixed buffers of an open store weigh on small stores); SQLite keeps its data in its page cache and on disk' },
  ]
}

export const eventStoreCurves: Readonly<Record<string, (ctx: BenchContext) => Promise<BenchCurve[]>>> = {
  concurrency: (ctx) =>
    withAppenders(ctx, 'c', true, async (subjects) => [
      await concurrencyCurve(ctx, 'Event store: durable single-event appends to new streams against concurrency', subjects, 'the SQLite table is synchronous: callers queue; Emmett in-memory is not durable and counts every stream per append'),
    ]),
  latency: (ctx) => withAppenders(ctx, 'l', false, async (subjects) => [await latencyCurve(ctx, 'Event store: latency of one durable append, 1 at a time', subjects)]),
  size: sizeCurves,
  memory: async (ctx) => [
    await memoryCurve(ctx, 'Event store: resident memory under 256 concurrent durable appends', [
      { series: 'Quire walBackend', kind: 'event-store-wal' },
      { series: 'better-sqlite3 event table (eventsourcing layout)', kind: 'sqlite-events' },
    ]),
  ],
}
