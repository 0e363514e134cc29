import { optionKeys } from '@quire/durable'
import { absentReason, isTempFile, NodeFileSystem, ReadOnlyFileSystem, storePathState, StoreNotFoundError, type FileSystem } from '@quire/vfs'
import { resolve } from 'node:path'
import { emptyScan, rkPaths, scanChain, type ChainScan } from './chain-scan.js'
import { RecordKeeperError } from './errors.js'

/** Every key of `RecordKeeper.verify`. */
const VERIFY_OPTION_KEYS = optionKeys<{ readonly fs?: FileSystem }>()(['fs'] as const, 'RecordKeeper.verify', (message) => new RecordKeeperError('INVALID_ARGUMENT', message))

/** What `verify` found; `ok` when there is nothing to report. */
export interface RecordKeeperReport {
  readonly ok: boolean
  /** Events on the chain (up to the first broken link). */
  readonly events: number
  readonly head: string | null
  /** The last event reachable from `head`. */
  readonly tail: string | null
  /** What `rk/tail` names (null when absent or damaged). */
  readonly recordedTail: string | null
  /** `rk/tail` is absent, damaged, or does not name the last event. */
  readonly staleTail: boolean
  /** Links that lead nowhere or to a damaged file, damaged pointer files, cycles. */
  readonly brokenLinks: readonly string[]
  /**
   * Well-formed event files an interrupted add left (paths): off an intact chain, never linked,
   * never acknowledged. A writable open removes them.
   */
  readonly orphans: readonly string[]
  /**
   * Well-formed event files that belong to the history but cannot be reached from `head` (paths):
   * every file off a chain that broke at `brokenAt`, and files whose links lead to what `rk/tail`
   * names. Acknowledged events: never orphans, never removed (a writable open refuses with `CORRUPT`).
   */
  readonly unreachable: readonly string[]
  /**
   * The file at which the chain breaks: a missing or damaged event file (its path), a damaged or
   * missing `rk/head`, the file that links back in a cycle; null when the chain is whole.
   */
  readonly brokenAt: string | null
  /** Event files not on the chain that fail their checks (paths). */
  readonly damaged: readonly string[]
  /** Temp files and entries that have no place in the layout (paths). */
  readonly strays: readonly string[]
}

/** What the record keeper's directory is called in errors. */
export const RK_ROLE = 'record keeper (<dir>/rk)'

/**
 * Whether an entry of `rk/` is one the record keeper writes (`FORMAT`, the `head` and `tail`
 * pointers, the `events` tree, a temp file of one of them): an `rk/` with none is not a record keeper.
 */
export function isRkEntry(name: string): boolean {
  return name === 'FORMAT' || name === 'head' || name === 'tail' || name === 'events' || isTempFile(name)
}

/** `RecordKeeper.verify(dir)`'s work: a scan through a file system that refuses every change. */
export async function verifyRecordKeeper(dir: string, options: { readonly fs?: FileSystem }): Promise<RecordKeeperReport> {
  VERIFY_OPTION_KEYS.check(options)
  const fs = new ReadOnlyFileSystem(options.fs ?? new NodeFileSystem())
  const paths = rkPaths(resolve(dir))
  const state = await storePathState(fs, paths.rk, 'directory', RK_ROLE, isRkEntry)
  if (state !== 'present') throw new StoreNotFoundError(paths.rk, RK_ROLE, absentReason(state, RK_ROLE))
  return toReport((await fs.exists(paths.events)) ? await scanChain(fs, paths) : emptyScan())
}

/** The report of a scan. */
export function toReport(scan: ChainScan): RecordKeeperReport {
  const tail = scan.chain.at(-1) ?? null
  const recordedTail = typeof scan.recordedTail === 'string' ? scan.recordedTail : null
  const brokenLinks = [...scan.brokenLinks]
  const damaged = [...scan.damaged]
  if (scan.recordedTail !== null && typeof scan.recordedTail !== 'string') damaged.push(scan.recordedTail.damaged)
  const staleTail = recordedTail !== tail
  const strays = [...scan.temps, ...scan.strays, ...scan.newer]
  return {
    ok: brokenLinks.length === 0 && scan.orphans.length === 0 && scan.unreachable.length === 0 && damaged.length === 0 && strays.length === 0 && !staleTail,
    events: scan.chain.length,
    head: scan.chain[0] ?? null,
    tail,
    recordedTail,
    staleTail,
    brokenLinks,
    orphans: scan.orphans,
    unreachable: scan.unreachable,
    brokenAt: scan.brokenAt,
    damaged,
    strays,
  }
}
