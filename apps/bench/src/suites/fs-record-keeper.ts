import { randomUUID } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RecordKeeper } from '@quire/fs-record-keeper'
import { timeOps, type BenchRow, type BenchSuite } from '../harness.js'

// Goals from issue 6: durable adds at 1 writer >= 0.8x the floor (a durable file creation done
// directly with node:fs: write, fsync, directory fsync); at 64 writers, grouping beats the floor
// (also at 64 concurrent creations) by >= 3x; walking the history >= 20 k events/s.
const GOAL_ONE_VS_FLOOR = 0.8
const GOAL_64_VS_FLOOR = 3
const GOAL_WALK_PER_S = 20_000
// Issue 17: >= 0.8x the floor at 1 writer, >= 1.0x at 64 (judged on the median round ratio).
const GOAL_17 = { 1: 0.8, 64: 1 } as const

const TYPES = ['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn', 'TransferSent', 'TransferReceived']

/** A small event, ~150 bytes of JSON. */
function event(i: number): { id: string; [field: string]: unknown } {
  return {
    id: randomUUID(),
    type: TYPES[i % TYPES.length],
    stream: `account-${String(i % 1000).padStart(4, '0')}`,
    version: i,
    data: { amount: (i * 7919) % 100_000, currency: 'EUR' },
  }
}

/** The floor: create one file durably with node:fs alone (open wx, write, fdatasync, close, fsync dir). */
async function durableCreate(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const file = await open(join(dir, name), 'wx')
  try {
    await file.write(bytes, 0, bytes.byteLength, 0)
    await file.datasync()
  } finally {
    await file.close()
  }
  const parent = await open(dir, 'r')
  try {
    await parent.sync()
  } finally {
    await parent.close()
  }
}

const note = (met: boolean, goal: string): string => `goal ${goal}: ${met ? 'met' : 'NOT met'}`
const rate = (r: { ops: number; seconds: number }): number => r.ops / r.seconds

export const suite: BenchSuite = {
  name: 'fs-record-keeper',
  async run(ctx) {
    const rows: BenchRow[] = []
    const payload = new TextEncoder().encode(JSON.stringify(event(0)))

    // Floor and RecordKeeper run in alternating rounds, so that load from elsewhere on the machine
    // weighs on both alike; each row sums its rounds.
    const compare = async (rk: RecordKeeper, writers: 1 | 64, label: string): Promise<void> => {
      const rounds = 8
      const n = Math.round((writers === 1 ? 50 : 384) * ctx.scale)
      const group = `durable add, ${writers} writer${writers === 1 ? '' : 's'}, ${label}`
      const floorDir = await ctx.subdir(`floor-${writers}-${label.replace(/\W+/g, '-')}`)
      const floor = { ops: 0, seconds: 0 }
      const result = { ops: 0, seconds: 0 }
      const ratios: number[] = []
      for (let round = 0; round < rounds; round++) {
        const f = await timeOps(n, writers, (i) => durableCreate(floorDir, `f${round}-${i}`, payload))
        floor.ops += f.ops
        floor.seconds += f.seconds
        const events = Array.from({ length: n }, (_, i) => event(i))
        const r = await timeOps(n, writers, (i) => rk.add(events[i]!))
        result.ops += r.ops
        result.seconds += r.seconds
        ratios.push(rate(r) / rate(f))
      }
      rows.push({ group, subject: 'floor: node:fs create + fdatasync + dir fsync', ...floor, baseline: true })
      const median = ratios.sort((a, b) => a - b)[Math.floor(rounds / 2)]!
      ctx.goal({
        goal: `record keeper adds, ${writers} writer${writers === 1 ? '' : 's'}, ${label}: ≥ ${GOAL_17[writers]}× the floor`,
        measured: median,
        target: GOAL_17[writers],
        direction: 'atLeast',
        unit: '×',
        note: `median of ${rounds} alternating round ratios`,
      })
      const goal = writers === 1 ? GOAL_ONE_VS_FLOOR : GOAL_64_VS_FLOOR
      rows.push({
        group,
        subject: `RecordKeeper.add, ${writers} concurrent`,
        ...result,
        note: `median round ratio ${median.toFixed(2)}×; ${note(median >= goal, `≥ ${goal}× floor`)}`,
      })
    }

    // A fresh store: most adds also create their a/b/c directories.
    for (const writers of [1, 64] as const) {
      const rk = await RecordKeeper.open(await ctx.subdir(`rk-${writers}`))
      await compare(rk, writers, 'new store')
      await rk.close()
    }

    // Walking: a history of m events, read in order with checks (crc, ids) and JSON parsed.
    {
      const m = Math.round(10_000 * ctx.scale)
      const dir = await ctx.subdir('walk')
      const rk = await RecordKeeper.open(dir)
      const ids: string[] = []
      await timeOps(m, 256, async (i) => {
        const e = event(i)
        ids.push(e.id)
        await rk.add(e)
      })
      await rk.close()
      const group = `walk ${m} events`

      // Peer: the same files read with node:fs (32 at a time), only JSON.parse, no checks.
      const order = await (async () => {
        const opened = await RecordKeeper.open(dir)
        const out: string[] = []
        for (let id = await opened.next(); id !== null; id = await opened.next(id)) out.push(id)
        await opened.close()
        return out
      })()
      let sink = 0
      const raw = await timeOps(m, 32, async (i) => {
        const id = order[i]!
        const text = await readFile(join(dir, 'rk', 'events', id[0]!, id[1]!, id[2]!, id), 'utf8')
        sink += (JSON.parse(text) as { id: string }).id.length
      })
      if (sink === 0) throw new Error('unreachable')
      rows.push({ group, subject: 'node:fs readFile + JSON.parse, 32 at a time', ...raw, baseline: true })

      const started = process.hrtime.bigint()
      const reopened = await RecordKeeper.open(dir)
      const openSeconds = Number(process.hrtime.bigint() - started) / 1e9
      rows.push({ group, subject: 'RecordKeeper.open (recovery scan of every file)', ops: m, seconds: openSeconds })
      let count = 0
      const walkStarted = process.hrtime.bigint()
      for await (const _event of reopened.events()) count++
      const seconds = Number(process.hrtime.bigint() - walkStarted) / 1e9
      if (count !== m) throw new Error(`walked ${count} of ${m} events`)
      rows.push({
        group,
        subject: 'RecordKeeper.events()',
        ops: count,
        seconds,
        note: note(count / seconds >= GOAL_WALK_PER_S, '≥ 20 k events/s'),
      })

      // The same store, now with its directories in place: the steady state of a long-lived history.
      for (const writers of [1, 64] as const) await compare(reopened, writers, `${Math.round(m / 1000)} k-event store`)
      await reopened.close()
    }
    return rows
  },
}
