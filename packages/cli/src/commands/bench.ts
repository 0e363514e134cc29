import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { EventStore, walBackend } from '@quire/event-store'
import { RecordKeeper } from '@quire/fs-record-keeper'
import { MvccStore } from '@quire/mvcc'
import { NdjsonLog } from '@quire/ndjson-log'
import { Wal } from '@quire/wal'
import { BENCH_KINDS } from '../bench-kinds.js'
import { CliError } from '../cli-error.js'
import { EXIT_OK, type ExitCode } from '../exit-codes.js'
import type { CommandContext } from './context.js'


/** Options of `quire bench`. */
export interface BenchOptions {
  readonly dir?: string
  readonly seconds?: string
  readonly bytes?: string
  readonly writers?: string
}

/** One measured subject. */
export interface BenchRow {
  readonly subject: string
  readonly writers: number
  readonly ops: number
  readonly seconds: number
  readonly opsPerSecond: number
  /** `opsPerSecond` over the raw floor's. */
  readonly timesFloor: number
}

/** A store under measurement: one durable append (of `value`), and how to close it. */
interface Subject {
  append(writer: number, i: number): Promise<unknown>
  close(): Promise<void>
}

function positive(value: string | undefined, fallback: number, name: string, integer: boolean): number {
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isSafeInteger(n))) throw new CliError('INVALID_ARGUMENT', `${name} must be a ${integer ? 'whole ' : ''}number > 0, got ${String(value)}`)
  return n
}

/** Runs `writers` loops of `op` for `seconds`; resolves with how many ops completed and the time taken. */
async function measure(seconds: number, writers: number, op: (writer: number, i: number) => Promise<unknown>): Promise<{ ops: number; seconds: number }> {
  const start = performance.now()
  const end = start + seconds * 1000
  let ops = 0
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      let i = 0
      while (performance.now() < end) {
        await op(w, i++)
        ops++
      }
    }),
  )
  return { ops, seconds: (performance.now() - start) / 1000 }
}

/** The floor: one file, `write` of `bytes` then `fdatasync`, in a loop (what any durable log pays per append). */
async function rawFloor(dir: string, seconds: number, bytes: number): Promise<{ ops: number; seconds: number }> {
  const handle = await open(join(dir, 'raw-floor.bin'), 'w')
  const buf = Buffer.alloc(bytes + 16, 0x61)
  try {
    return await measure(seconds, 1, async () => {
      await handle.write(buf)
      await handle.datasync()
    })
  } finally {
    await handle.close()
  }
}

async function openSubject(kind: (typeof BENCH_KINDS)[number], dir: string, value: Uint8Array): Promise<Subject> {
  const text = Buffer.from(value).toString('latin1')
  switch (kind) {
    case 'wal': {
      const wal = await Wal.open(join(dir, 'wal'))
      const key = new TextEncoder().encode('key')
      return { append: () => wal.append({ op: 'put', key, value }), close: () => wal.close() }
    }
    case 'ndjson-log': {
      const log = await NdjsonLog.open(join(dir, 'log.ndjson'))
      return { append: (w, i) => log.append({ w, i, text }), close: () => log.close() }
    }
    case 'event-store': {
      const store = await EventStore.open({ backend: walBackend(join(dir, 'events')) })
      return { append: (w) => store.appendToStream(`bench-${w}`, { type: 'Measured', data: { text } }), close: () => store.close() }
    }
    case 'mvcc': {
      const db = await MvccStore.open(join(dir, 'mvcc'))
      return { append: (w, i) => db.transaction(async (tx) => void (await tx.put(`k/${w}/${i}`, text))), close: () => db.close() }
    }
    case 'record-keeper': {
      const rk = await RecordKeeper.open(join(dir, 'rk'))
      return { append: () => rk.add({ id: randomUUID(), text }), close: () => rk.close() }
    }
  }
}

const BENCH_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * `quire bench <kind>`: the raw `write` + `fdatasync` floor of the disk under `--dir`, then the
 * store's durable appends with one writer and with `--writers` concurrent writers (group commit),
 * each for `--seconds`, in a new directory that is removed afterwards. Figures move with the
 * machine's load: run it on an otherwise idle machine and read them as orders of magnitude.
 */
export async function benchCommand(ctx: CommandContext, kind: string, options: BenchOptions): Promise<ExitCode> {
  if (!(BENCH_KINDS as readonly string[]).includes(kind)) throw new CliError('INVALID_ARGUMENT', `bench measures one of ${BENCH_KINDS.join(', ')}, not ${kind}`)
  const k = kind as (typeof BENCH_KINDS)[number]
  const seconds = positive(options.seconds, 3, '--seconds', false)
  const bytes = positive(options.bytes, 100, '--bytes', true)
  const writers = positive(options.writers, 64, '--writers', true)
  const base = resolve(options.dir ?? process.cwd())
  const dir = await mkdtemp(join(base, '.quire-bench-'))
  const value = new Uint8Array(bytes).fill(0x61)
  const rows: BenchRow[] = []
  // Ctrl-C or a kill mid-measurement must not leave the directory behind: remove it, then let the
  // signal end the process as it would have (its usual exit status).
  const onSignal = (signal: NodeJS.Signals): void => {
    rmSync(dir, { recursive: true, force: true })
    process.kill(process.pid, signal)
  }
  for (const signal of BENCH_SIGNALS) process.once(signal, onSignal)
  try {
    if (!ctx.json) await ctx.note(ctx.err.dim(`measuring in ${dir} (${seconds} s per subject, ${bytes}-byte values)…`))
    const floor = await rawFloor(dir, seconds, bytes)
    const floorRate = floor.ops / floor.seconds
    const row = (subject: string, w: number, m: { ops: number; seconds: number }): BenchRow => ({ subject, writers: w, ops: m.ops, seconds: Math.round(m.seconds * 1000) / 1000, opsPerSecond: Math.round(m.ops / m.seconds), timesFloor: Math.round((m.ops / m.seconds / floorRate) * 100) / 100 })
    rows.push(row('raw write + fdatasync (floor)', 1, floor))
    for (const w of [1, writers]) {
      const subject = await openSubject(k, await mkdtemp(join(dir, `${k}-`)), value)
      try {
        rows.push(row(`${k}, durable append`, w, await measure(seconds, w, (writer, i) => subject.append(writer, i))))
      } finally {
        await subject.close()
      }
    }
  } finally {
    for (const signal of BENCH_SIGNALS) process.removeListener(signal, onSignal)
    await rm(dir, { recursive: true, force: true })
  }
  if (ctx.json) {
    await ctx.document({ command: 'bench', kind: k, dir: base, seconds, bytes, rows })
    return EXIT_OK
  }
  const c = ctx.out
  await ctx.line(`${'subject'.padEnd(34)} ${'writers'.padStart(7)} ${'ops/s'.padStart(10)} ${'× floor'.padStart(8)}`)
  for (const r of rows) await ctx.line(`${r.subject.padEnd(34)} ${String(r.writers).padStart(7)} ${c.bold(String(r.opsPerSecond).padStart(10))} ${r.timesFloor.toFixed(2).padStart(8)}`)
  await ctx.line(c.dim(`floor: one ${bytes + 16}-byte write + fdatasync per operation on ${base}; the store's appends are durable (fdatasync) when counted`))
  return EXIT_OK
}
