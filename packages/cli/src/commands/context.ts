import { coloursFor, writeOut, type CliIo, type Colours } from '../io.js'
import { startProgress, type Progress, type ProgressMode } from '../progress.js'
import type { HandlerContext } from '../stores/handler.js'

/**
 * `@quire/event-store-postgres`'s `DEFAULT_SCHEMA` (a test checks they agree), kept here so that
 * commands on other stores do not load `pg`.
 */
export const DEFAULT_PG_SCHEMA = 'quire'

/** Options every command takes. */
export interface CommonOptions {
  readonly json?: boolean
  readonly kind?: string
  readonly schema?: string
  readonly progress?: ProgressMode
}

/** What a command runs with: its streams, colours, and a handler context. */
export class CommandContext implements HandlerContext {
  readonly io: CliIo
  readonly json: boolean
  /** Colours for standard output (none under `--json`, in a pipe, or with `NO_COLOR`). */
  readonly out: Colours
  /** Colours for standard error. */
  readonly err: Colours
  readonly schema: string
  readonly #progress: ProgressMode

  constructor(io: CliIo, options: CommonOptions) {
    this.io = io
    this.json = options.json === true
    this.out = coloursFor(io.stdout, this.json ? { NO_COLOR: '1' } : io.env)
    this.err = coloursFor(io.stderr, io.env)
    this.schema = options.schema ?? DEFAULT_PG_SCHEMA
    this.#progress = options.progress ?? 'auto'
  }

  progress(label: string, total: number): Progress {
    return startProgress(this.io.stderr, this.#progress, label, total)
  }

  /** A line for a person on standard output. */
  line(text = ''): Promise<void> {
    return writeOut(this.io.stdout, text + '\n')
  }

  /** One JSON document on standard output (`--json`). */
  document(value: unknown): Promise<void> {
    return writeOut(this.io.stdout, JSON.stringify(value, jsonReplacer, 2) + '\n')
  }

  /** A note for a person on standard error. */
  note(text: string): Promise<void> {
    return writeOut(this.io.stderr, text + '\n')
  }
}

/** JSON.stringify replacer: bigints as numbers while safe, Dates as ISO strings (toJSON does that). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()
  return value
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = bytes
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[u]}`
}

/** `65000` → `65 s`, `4_000_000` → `1.1 h`. */
export function formatAge(ms: number): string {
  const s = ms / 1000
  if (s < 120) return `${Math.round(s)} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86_400).toFixed(1)} d`
}
