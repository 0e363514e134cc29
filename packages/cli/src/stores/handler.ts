import type { DetectedStore } from '../detect.js'
import type { Progress } from '../progress.js'

/** One piece of damage `verify` found, named by file and byte offset or line. */
export interface Damage {
  /** The damaged file (a path), or for PostgreSQL the table. */
  readonly file: string
  /** Byte offset in `file` where the damage starts, when the package names one. */
  readonly offset?: number
  /** 1-based line in `file`, for NDJSON logs. */
  readonly line?: number
  /** What is wrong, in the package's words. */
  readonly problem: string
  /** The package's error code, when the damage was reported as an error. */
  readonly code?: string
  /**
   * An incomplete end of the log that a writable open would cut: damage after a crash, but next
   * to a live writer the end of its appends in flight (or space it reserved ahead).
   */
  readonly tornTail?: true
}

/** What `verify` found in one part of a store (a store made of several parts adds them up). */
export interface VerifyFindings {
  /** What was checked, counted (`segments`, `entries`, `events`, `snapshots`, …). */
  readonly checked: Record<string, number>
  readonly damage: Damage[]
  /** Things worth knowing that are not damage (a newer snapshot format left alone, …). */
  readonly warnings: string[]
  /** Routine state that is neither damage nor a warning (segments below the truncation floor a writable open deletes, …). */
  readonly info?: string[]
}

/** One thing `repair` does (or, in a dry run, would do). */
export interface RepairAction {
  readonly file: string
  readonly offset?: number
  readonly line?: number
  readonly bytes?: number
  /** The package's name of the action (`cut-torn-tail`, `skip-corrupt`, `remove-orphan`, …). */
  readonly action: string
  readonly reason: string
  /** Where the removed bytes are kept: a quarantine file of the package or a copy the CLI made. */
  readonly preservedIn?: string
}

/** What `repair` found to do. */
export interface RepairOutcome {
  readonly actions: RepairAction[]
  /** Things a person must know (a mode refused, what cannot be repaired here). */
  readonly notes: string[]
  /**
   * A step that failed after earlier steps had acted: the actions above were done (and are
   * reported), the rest was not. The command exits 2 with this error.
   */
  readonly failed?: { readonly code: string; readonly message: string }
}

/** Ranges for `dump` (each store reads the ones that apply to it). */
export interface DumpRange {
  readonly from?: string
  readonly to?: string
  readonly stream?: string
  readonly prefix?: string
  /** Event stores: include the `$$` system events of stream commands. */
  readonly system?: boolean
  /** Snapshots: every retained snapshot, not only the newest of each key. */
  readonly all?: boolean
}

/** What a command hands a store handler. */
export interface HandlerContext {
  /** A progress bar on standard error (a no-op unless asked for or on a terminal with a large store). */
  progress(label: string, total: number): Progress
  /** PostgreSQL schema (event-store-postgres only). */
  readonly schema: string
}

/** Writes one dump record; resolves when the output took it. */
export type Emit = (record: Record<string, unknown>) => Promise<void>

/** How `repair` runs: which recovery mode, and whether to act. */
export interface RepairRequest {
  readonly mode: 'strict' | 'point-in-time' | 'skip-corrupt'
  readonly apply: boolean
}

/** The operations every kind of store implements. */
export interface StoreHandler {
  /** Counts, positions and recovery state, read-only. */
  info(store: DetectedStore, ctx: HandlerContext): Promise<Record<string, unknown>>
  /** Every check the packages offer, read-only. */
  verify(store: DetectedStore, ctx: HandlerContext): Promise<VerifyFindings>
  /** Entries as records; resolves with how many were written. */
  dump(store: DetectedStore, range: DumpRange, emit: Emit, ctx: HandlerContext): Promise<number>
  /** What recovery would do (dry run) or does (`apply`). */
  repair(store: DetectedStore, request: RepairRequest, ctx: HandlerContext): Promise<RepairOutcome>
}

/** Adds `b`'s findings into `a`, prefixing `b`'s counters with `prefix`. */
export function mergeFindings(a: VerifyFindings, b: VerifyFindings, prefix = ''): VerifyFindings {
  const checked = { ...a.checked }
  for (const [k, v] of Object.entries(b.checked)) checked[prefix + k] = (checked[prefix + k] ?? 0) + v
  const info = [...(a.info ?? []), ...(b.info ?? [])]
  return { checked, damage: [...a.damage, ...b.damage], warnings: [...a.warnings, ...b.warnings], ...(info.length > 0 ? { info } : {}) }
}

/** Findings with nothing in them. */
export const noFindings = (): VerifyFindings => ({ checked: {}, damage: [], warnings: [] })
