// The memory soak of issue 13 ("Load"): every store of the family at full speed in one process for
// --minutes, with closed-loop clients and open-loop bursts that offer more than the disk takes (so
// each store's queue bound, OVERLOADED, is hit over and over), and the resident memory sampled.
// A store whose queue grew without a bound, or which leaked per operation, shows as RSS that keeps
// rising; a bounded one is flat once warm.
//
//   pnpm soak:memory --minutes 30 --out /tmp/soak-memory.jsonl
//
// What grows by design is kept out of the measure by rotation, stated here and in the output: the
// record keeper and the event store keep an index entry per event in memory (their READMEs give
// the bytes per event), so their store is closed, deleted and opened afresh every ROTATE_EVENTS
// events; the WAL is truncated and the NDJSON log's archives deleted so that the disk stays small.
// Sync mode is 'none' where a store has one (full speed is the point; durability is the crash
// tests' business); the record keeper, depot and snapshots always sync.
import { randomUUID } from 'node:crypto'
import { appendFile, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { EventStore, walBackend } from '@quire/event-store'
import { Depot, RecordKeeper } from '@quire/fs-record-keeper'
import { MvccStore } from '@quire/mvcc'
import { NdjsonLog } from '@quire/ndjson-log'
import { SnapshotStore } from '@quire/snapshots'
import { Wal } from '@quire/wal'

interface Options {
  readonly minutes: number
  readonly out: string | undefined
  readonly sampleSeconds: number
  readonly reportMinutes: number
  /** Only these stores (comma-separated names), for looking into one. Default: all. */
  readonly only: readonly string[] | undefined
}

function parseArgs(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(name)
    return at === -1 ? undefined : argv[at + 1]
  }
  const number = (name: string, fallback: number): number => {
    const raw = value(name)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!(n > 0)) throw new Error(`${name} must be a positive number, got ${raw}`)
    return n
  }
  return {
    minutes: number('--minutes', 30),
    out: value('--out'),
    sampleSeconds: number('--sample-seconds', 10),
    reportMinutes: number('--report-minutes', 5),
    only: value('--only')?.split(','),
  }
}

/** Events a record keeper or event store takes before it is replaced by a fresh one. */
const ROTATE_EVENTS = 50_000
/** Closed-loop clients per store. */
const CLIENTS = 32
/** Operations offered at once, unawaited, by each burst (more than any store's queue bound). */
const BURST = 100_000
/** Shortest run whose flatness is judged (a shorter one only reports its samples). */
const MIN_JUDGED_MINUTES = 5
/** Pause between two bursts of one store. */
const BURST_EVERY_MS = 20_000

/** Set when the run ends: long compound operations (the depot's) give up between their steps. */
let stopping = false

/** An operation abandoned between its steps because the run ended (not a failure). */
class Stopped extends Error {
  readonly code = 'STOPPED'
}

const value1k = new Uint8Array(1024).fill(7)
const record1k = { v: 'x'.repeat(1000) }

/** Counts per store: operations acknowledged, refused as OVERLOADED, MVCC conflicts, failed otherwise. */
class Tally {
  acked = 0
  overloaded = 0
  conflicts = 0
  /** Appends a rotating store refused as `CLOSED` while it was being replaced (by design). */
  closedByRotation = 0
  failed = 0
  rotatingNow = false
  firstFailure: unknown = undefined

  count(err: unknown): void {
    const code = (err as { code?: unknown } | null)?.code
    if (code === 'OVERLOADED') this.overloaded++
    else if (code === 'CONFLICT') this.conflicts++
    else if (code === 'CLOSED' && this.rotatingNow) this.closedByRotation++
    else if (code === 'STOPPED') return
    else {
      this.failed++
      this.firstFailure ??= err
    }
  }
}

interface Worker {
  readonly name: string
  readonly tally: Tally
  /** One operation (its promise); called by clients and bursts alike. */
  op(): Promise<unknown>
  /** Housekeeping between operations (retention, rotation); called by one client. */
  tend?(): Promise<void>
  close(): Promise<void>
}

async function walWorker(dir: string): Promise<Worker> {
  const wal = await Wal.open(dir, { sync: 'none', segmentBytes: 8 * 1024 * 1024 })
  const key = new Uint8Array(16)
  return {
    name: 'wal',
    tally: new Tally(),
    op: () => wal.append({ op: 'put', key, value: value1k }),
    tend: async () => {
      if (wal.lastSeq - wal.floorSeq > 200_000) await wal.truncateBefore(wal.lastSeq - 20_000)
    },
    close: () => wal.close(),
  }
}

async function ndjsonWorker(dir: string): Promise<Worker> {
  const log = await NdjsonLog.open(join(dir, 'soak.ndjson'), { sync: 'none', maxFileBytes: 16 * 1024 * 1024 })
  return {
    name: 'ndjson-log',
    tally: new Tally(),
    op: () => log.append(record1k),
    tend: async () => {
      // The log never deletes its archives (its README): keep the newest two.
      const archives = (await readdir(dir)).filter((f) => /^soak\.\d+\.ndjson$/.test(f)).sort()
      for (const old of archives.slice(0, -2)) await unlink(join(dir, old))
    },
    close: () => log.close(),
  }
}

async function snapshotsWorker(dir: string): Promise<Worker> {
  const store = await SnapshotStore.open(dir, { codec: 'raw', keep: 1 })
  let n = 0
  return {
    name: 'snapshots',
    tally: new Tally(),
    op: () => {
      n++
      return store.save(`k${n % 100}`, { position: n, state: value1k })
    },
    close: () => store.close(),
  }
}

async function mvccWorker(dir: string): Promise<Worker> {
  const db = await MvccStore.open(dir, { sync: 'none' })
  let n = 0
  let commits = 0
  return {
    name: 'mvcc',
    tally: new Tally(),
    op: async () => {
      const tx = db.begin()
      // Keys spread over 10 000: write-write conflicts (counted apart) are the price of bursts.
      await tx.put(`k${n++ % 10_000}`, value1k)
      await tx.commit()
      commits++
    },
    tend: async () => {
      if (commits > 100_000) {
        commits = 0
        await db.checkpoint()
      }
    },
    close: () => db.close(),
  }
}

/** A store opened afresh (in a new directory) every ROTATE_EVENTS operations. */
async function rotating<S>(
  name: string,
  base: string,
  open: (dir: string) => Promise<S>,
  close: (store: S) => Promise<void>,
  op: (store: S) => Promise<unknown>,
): Promise<Worker> {
  let generation = 0
  let dir = join(base, `g${generation}`)
  let store = await open(dir)
  let since = 0
  let rotating: Promise<void> | undefined
  const tally = new Tally()
  return {
    name,
    tally,
    op: () => {
      since++
      return op(store)
    },
    tend: async () => {
      if (since < ROTATE_EVENTS || rotating !== undefined) return
      rotating = (async () => {
        tally.rotatingNow = true
        const old = store
        const oldDir = dir
        generation++
        dir = join(base, `g${generation}`)
        store = await open(dir)
        since = 0
        await close(old)
        await rm(oldDir, { recursive: true, force: true })
      })()
      await rotating
      // Operations that were waiting on the old store when it closed settle in this turn.
      await sleep(0)
      tally.rotatingNow = false
      rotating = undefined
    },
    close: () => close(store),
  }
}

async function depotWorker(dir: string): Promise<Worker> {
  const depot = await Depot.open(dir)
  const chunk = new Uint8Array(16 * 1024).fill(3)
  return {
    name: 'depot',
    tally: new Tally(),
    op: async () => {
      const id = randomUUID()
      const step = async (work: () => Promise<unknown>): Promise<void> => {
        if (stopping) throw new Stopped('the soak ended')
        await work()
      }
      await step(() => depot.reserve(id, 4 * chunk.byteLength))
      for (let i = 0; i < 4; i++) await step(() => depot.write(id, i * chunk.byteLength, chunk))
      await step(() => depot.finalize(id))
      await step(() => depot.read(id, 0, chunk.byteLength))
      await depot.purge(id)
    },
    close: () => depot.close(),
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1)
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2))
  const root = await mkdtemp(join(tmpdir(), 'quire-soak-memory-'))
  const sub = (name: string): string => join(root, name)
  const all: (() => Promise<Worker>)[] = [
    () => walWorker(sub('wal')),
    () => ndjsonWorker(sub('ndjson')),
    () => snapshotsWorker(sub('snapshots')),
    () => mvccWorker(sub('mvcc')),
    () => rotating('record-keeper', sub('rk'), (d) => RecordKeeper.open(d), (rk) => rk.close(), (rk) => rk.add({ id: randomUUID(), ...record1k })),
    () => depotWorker(sub('depot')),
    () => rotating(
      'event-store',
      sub('es'),
      (d) => EventStore.open({ backend: walBackend(d, { sync: 'none' }) }),
      (es) => es.close(),
      (es) => es.appendToStream(`s-${Math.floor(Math.random() * 1000)}`, { type: 'Soaked', data: record1k }),
    ),
  ]
  const workers: Worker[] = []
  for (const make of all) {
    const w = await make()
    if (o.only === undefined || o.only.includes(w.name)) workers.push(w)
    else await w.close()
  }
  const startMs = Date.now()
  const endMs = startMs + o.minutes * 60_000
  let stop = false
  const out = o.out
  if (out !== undefined) await writeFile(out, '')

  const client = async (w: Worker, tends: boolean): Promise<void> => {
    while (!stop) {
      try {
        await w.op()
        w.tally.acked++
      } catch (err) {
        w.tally.count(err)
        // Refused: give the disk a moment, as a well-behaved caller backs off.
        await sleep(1)
      }
      if (tends && w.tend !== undefined) {
        try {
          await w.tend()
        } catch (err) {
          w.tally.count(err)
        }
      }
    }
  }
  const burster = async (w: Worker): Promise<void> => {
    while (!stop) {
      await sleep(BURST_EVERY_MS)
      if (stop) return
      const offered: Promise<unknown>[] = []
      for (let i = 0; i < BURST && !stop; i++) {
        offered.push(
          w.op().then(
            () => {
              w.tally.acked++
            },
            (err: unknown) => w.tally.count(err),
          ),
        )
        // The open loop yields now and then, or it would starve the store it floods.
        if (i % 10_000 === 9_999) await sleep(0)
      }
      await Promise.all(offered)
    }
  }

  const samples: { minute: number; rssBytes: number; heapBytes: number; externalBytes: number }[] = []
  const sample = async (): Promise<void> => {
    const m = process.memoryUsage()
    const minute = (Date.now() - startMs) / 60_000
    const row = {
      minute,
      rssBytes: m.rss,
      heapBytes: m.heapUsed,
      externalBytes: m.external,
      ops: Object.fromEntries(workers.map((w) => [w.name, { acked: w.tally.acked, overloaded: w.tally.overloaded, conflicts: w.tally.conflicts, failed: w.tally.failed }])),
    }
    samples.push(row)
    if (out !== undefined) await appendFile(out, `${JSON.stringify(row)}\n`)
  }
  const line = (label: string, s: { minute: number; rssBytes: number; heapBytes: number; externalBytes: number }): string =>
    `${label.padEnd(10)} ${s.minute.toFixed(1).padStart(6)} min  rss ${mib(s.rssBytes).padStart(8)} MiB  heap ${mib(s.heapBytes).padStart(8)} MiB  external ${mib(s.externalBytes).padStart(8)} MiB`

  process.stdout.write(
    `Memory soak: ${workers.map((w) => w.name).join(', ')} at full speed for ${o.minutes} min (${CLIENTS} clients each, a burst of ${BURST.toLocaleString('en')} unawaited operations every ${BURST_EVERY_MS / 1000} s), in ${root}\n`,
  )
  await sample()
  process.stdout.write(`${line('start', samples[0]!)}\n`)
  const running: Promise<void>[] = []
  for (const w of workers) {
    for (let c = 0; c < CLIENTS; c++) running.push(client(w, c === 0))
    running.push(burster(w))
  }
  let nextReport = o.reportMinutes
  while (Date.now() < endMs) {
    await sleep(Math.min(o.sampleSeconds * 1000, Math.max(0, endMs - Date.now())))
    await sample()
    const last = samples[samples.length - 1]!
    if (last.minute >= nextReport) {
      process.stdout.write(`${line(`${nextReport} min`, last)}\n`)
      nextReport += o.reportMinutes
    }
  }
  stop = true
  stopping = true
  await Promise.all(running)
  await sample()
  const end = samples[samples.length - 1]!
  process.stdout.write(`${line('end', end)}\n`)
  for (const w of workers) await w.close()
  await rm(root, { recursive: true, force: true })

  // Flat: after a warm-up of a fifth of the run, the second half's highest RSS is not above the
  // first half's (bursts make peaks; a bounded store repeats them, a leak raises them).
  const warmFrom = o.minutes / 5
  const half = warmFrom + (o.minutes - warmFrom) / 2
  const peakOf = (rows: readonly { rssBytes: number }[]): number => Math.max(...rows.map((s) => s.rssBytes))
  const firstHalf = samples.filter((s) => s.minute >= warmFrom && s.minute < half)
  const secondHalf = samples.filter((s) => s.minute >= half)
  const firstPeak = firstHalf.length > 0 ? peakOf(firstHalf) : end.rssBytes
  const secondPeak = secondHalf.length > 0 ? peakOf(secondHalf) : end.rssBytes
  const growth = (secondPeak - firstPeak) / firstPeak
  process.stdout.write('\nper store: acknowledged / refused OVERLOADED / conflicts / failed otherwise\n')
  let failed = 0
  for (const w of workers) {
    const t = w.tally
    process.stdout.write(
      `  ${w.name.padEnd(14)} ${t.acked.toLocaleString('en').padStart(12)} / ${t.overloaded.toLocaleString('en').padStart(12)} / ${t.conflicts.toLocaleString('en').padStart(9)} / ${t.failed}${t.closedByRotation > 0 ? ` (and ${t.closedByRotation} CLOSED by a rotation)` : ''}\n`,
    )
    if (t.failed > 0) {
      failed++
      process.stdout.write(`    first failure: ${String(w.tally.firstFailure)}\n`)
    }
  }
  // Below MIN_JUDGED_MINUTES the halves hold a burst or two each: too few to tell a leak from them.
  const judged = o.minutes >= MIN_JUDGED_MINUTES
  const flat = !judged || growth < 0.1
  process.stdout.write(
    `\nPeak RSS after warm-up: minutes ${warmFrom.toFixed(1)}–${half.toFixed(1)} ${mib(firstPeak)} MiB, minutes ${half.toFixed(1)}–${o.minutes} ${mib(secondPeak)} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %): ${judged ? (flat ? 'flat' : 'NOT FLAT') : `not judged (a run under ${MIN_JUDGED_MINUTES} min is too short to tell a leak from its bursts)`}\n`,
  )
  process.exitCode = flat && failed === 0 ? 0 : 1
}

await main()
