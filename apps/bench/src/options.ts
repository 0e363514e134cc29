import { parseArgs } from 'node:util'

/** What `pnpm bench [suite ...] [options]` was asked to do. */
export interface BenchOptions {
  /** Suites to run (file names in src/suites without `.ts`); empty = all. */
  readonly suites: readonly string[]
  /** Parts to run: `table` and curve ids (`concurrency`, `size`, `latency`, `memory`); empty = all. */
  readonly parts: readonly string[]
  readonly quick: boolean
  readonly scale: number
  readonly maxEntries: number
  readonly pointSeconds: number
  readonly charts: boolean
  /** Where REPORT.md and charts/ are written; undefined = the default for this kind of run. */
  readonly out: string | undefined
  readonly help: boolean
}

export const USAGE = `pnpm bench [suite ...] [options]

  suite                 a file in src/suites without .ts (wal, mvcc, ndjson-log, event-store, ...); none = all
  --quick               short rounds, small stores (scale 0.1, curves' stores up to 100 k entries)
  --curve ID[,ID]       run only these parts: table, concurrency, size, latency, memory
  --max-entries N       the largest store a size curve builds (default 10000000; 100000 with --quick)
  --point-seconds S     seconds per subject per round at a curve point (default 1; 0.15 with --quick)
  --no-charts           skip the SVG charts
  --out DIR             write REPORT.md and charts/ there (default: apps/bench for a full run of
                        everything, apps/bench/out for any partial or quick run)
  --help                this text
Environment: QUIRE_BENCH_SCALE multiplies the tables' operation counts (default 1, 0.1 with --quick);
QUIRE_BENCH_DIR is where stores are built (default the OS temp dir; must be a real disk, not tmpfs).`

const positiveNumber = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!(n > 0) || !Number.isFinite(n)) throw new RangeError(`${name} must be a positive number, got '${text}'`)
  return n
}

/** Parses the command line (without node and the script); throws a RangeError on bad values. */
export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BenchOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      curve: { type: 'string', multiple: true },
      'max-entries': { type: 'string' },
      'point-seconds': { type: 'string' },
      'no-charts': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  const quick = values.quick === true
  const parts = (values.curve ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '')
  return {
    suites: positionals,
    parts,
    quick,
    scale: positiveNumber('QUIRE_BENCH_SCALE', env.QUIRE_BENCH_SCALE, quick ? 0.1 : 1),
    maxEntries: positiveNumber('--max-entries', values['max-entries'], quick ? 100_000 : 10_000_000),
    pointSeconds: positiveNumber('--point-seconds', values['point-seconds'], quick ? 0.15 : 1),
    charts: values['no-charts'] !== true,
    out: values.out,
    help: values.help === true,
  }
}

/** A full run: every suite, every part, full sizes; only it replaces the committed REPORT.md. */
export const isFullRun = (o: BenchOptions): boolean =>
  o.suites.length === 0 && o.parts.length === 0 && !o.quick && o.maxEntries >= 10_000_000
