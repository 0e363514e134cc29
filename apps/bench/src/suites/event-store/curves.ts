import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { getInMemoryEventStore, STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend } from '@quire/event-store'
import type { BenchCurve, CurvePoint } from '../../curves.js'
import type { BenchContext, PointSubject } from '../../harness.js'
import { concurrencyCurve } from '../../curves/concurrency.js'
import { latencyCurve } from '../../curves/latency.js'
import { memoryCurve } from '../../curves/memory.js'
import { fillProgress, forEachSize, sizeLabel } from '../../curves/size.js'
import { runChild } from '../../children/run-child.js'
import type { SizePoint } from '../../children/size-point-result.js'
import { event, EVENTS_PER_STREAM } from './fill.js'
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

/**
 * The writers of the size curve: one event to a new stream per append, Quire's WAL backend and
 * the SQLite event table; `added[series]` counts the events each adds to its store.
 */
export function sizeSubjects(store: EventStore, table: SqliteEventTable, added: Record<string, number>): PointSubject[] {
  const counted = (series: string, op: (i: number) => Promise<unknown>): PointSubject => {
    added[series] = 0
    return { series, op: (i) => ((added[series] = (added[series] ?? 0) + 1), op(i)) }
  }
  return [
    counted('Quire walBackend', (i) => append(store, `new-${i}`, i)),
    counted('better-sqlite3 event table (eventsourcing layout)', (i) => Promise.resolve(table.append(`new-${i}`, [event(i)], -1))),
  ]
}

/** Streams per SQLite fill transaction: 10 k events, so a 10 M fill pays 1 000 commits, not 10 000. */
const SQLITE_FILL_STREAMS = 1000

/** Fills a new SQLite event table at `path` with `n` events in streams of 10, as Quire's fill lays them out, untimed. */
function fillTable(path: string, n: number): void {
  const table = SqliteEventTable.open(path)
  const progress = fillProgress('better-sqlite3 event table', n)
  const events = Array.from({ length: EVENTS_PER_STREAM }, (_, i) => event(i))
  try {
    for (let done = 0, c = 0; done < n; c++) {
      const streams = Math.min(SQLITE_FILL_STREAMS, Math.ceil((n - done) / EVENTS_PER_STREAM))
      table.load(Array.from({ length: streams }, (_, k) => ({ stream: `fill-${c}-${k}`, events })))
      done += streams * EVENTS_PER_STREAM
      progress(done)
    }
  } finally {
    table.close()
  }
}

/**
 * Throughput, open time and index memory against store size: at each size (10 k ... 10 M events,
 * capped by --max-entries) a new event store on the WAL backend and a new SQLite event table are
 * filled with exactly n events (streams of 10 events; Quire without fsync in commits of 100
 * streams, in a child process, SQLite meanwhile in this one); then one fresh process
 * (`children/size-point.ts`) opens Quire's store, reports the heap and external memory it holds,
 * opens the table, and runs 256 concurrent durable single-event appends to new streams on each,
 * interleaved. Both stores are deleted before the next size.
 */
async function sizeCurves(ctx: BenchContext): Promise<BenchCurve[]> {
  const rate: CurvePoint[] = []
  const open: CurvePoint[] = []
  const memory: CurvePoint[] = []
  const added: string[] = []
  await forEachSize(ctx, 'events', async (n, dir) => {
    const walDir = join(dir, 'wal')
    await mkdir(join(dir, 'sqlite'))
    const tablePath = join(dir, 'sqlite', 'events.db')
    process.stdout.write(`  ${sizeLabel(n)} events: filling\n`)
    await Promise.all([runChild('fill-store', ['event-store-wal', walDir, String(n)]), Promise.resolve().then(() => fillTable(tablePath, n))])
    const m = await runChild<SizePoint>('size-point', ['event-store-wal', walDir, tablePath, join(dir, 'scratch'), String(n), String(ctx.pointSeconds)])
    if (m.entries !== n) throw new Error(`Quire's event store opened with ${m.entries} of ${n} events`)
    open.push({ series: 'Quire walBackend EventStore.open, fresh process', x: n, y: m.open.seconds }, { series: 'better-sqlite3 event table open + one stream read', x: n, y: m.peerOpenSeconds })
    memory.push(
      { series: 'Quire walBackend heap per event', x: n, y: m.open.heapBytes / n },
      { series: 'Quire walBackend external (buffers) per event', x: n, y: m.open.externalBytes / n },
    )
    for (const [series, y] of Object.entries(m.rates)) rate.push({ series, x: n, y })
    added.push(`${sizeLabel(n)}: ${Object.entries(m.added).map(([series, k]) => `+${k} (${series.split(' ')[0]!})`).join(', ')}`)
    process.stdout.write(`  ${sizeLabel(n)} events: open ${m.open.seconds.toFixed(3)} s, ${Math.round(m.open.heapBytes / n)} B heap + ${Math.round(m.open.externalBytes / n)} B external per event\n`)
    process.stdout.write(`  ${sizeLabel(n)} events: ${Object.entries(m.rates).map(([series, y]) => `${series} ${Math.round(y)}/s`).join(', ')}\n`)
  })
  const sizes = { title: 'events in the store', log: true }
  return [
    { id: 'size', title: 'Event store: durable appends (256 concurrent) against store size', x: sizes, y: { title: 'events/s', log: true }, points: rate, note: `each store built new with exactly the stated number of events (streams of 10) before its timed appends; ${ctx.pointSeconds} s per subject per round, 2 interleaved rounds (with warm-up); one event to a new stream per append; events the timed appends added: ${added.join('; ')}` },
    { id: 'size', title: 'Event store: open (recovery) time against store size', x: sizes, y: { title: 'seconds (lower is better)', log: true }, points: open, note: 'each opened in a fresh process (Quire: index rebuilt from the log of the fill), page cache warm' },
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
