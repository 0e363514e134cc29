import { isFsError, isTempFile, LOCK_FILE_NAME, mapLimit, readSmallFile, type FileSystem } from '@quire/vfs'
import { dirname, join } from 'node:path'
import { decodeEventFile, newerEventFileVersion, type EventRecord } from './event-file.js'
import { isUuid, leafDir } from './ids.js'
import { READ_CONCURRENCY } from './limits.js'
import { decodePointer } from './pointer-file.js'
import { scanTree } from './tree-scan.js'

/** Where the record keeper's files live under `<dir>/rk`. */
export interface RkPaths {
  readonly rk: string
  readonly events: string
  readonly head: string
  readonly tail: string
  readonly format: string
}

export function rkPaths(dir: string): RkPaths {
  const rk = join(dir, 'rk')
  return { rk, events: join(rk, 'events'), head: join(rk, 'head'), tail: join(rk, 'tail'), format: join(rk, 'FORMAT') }
}

/** A link found as a temp file only, and the group it links (FORMAT.md, "roll forward"). */
export interface PendingLinkScan {
  readonly temp: string
  readonly target: string
  /** Paths of the group's event files, in chain order. */
  readonly files: readonly string[]
}

/** A pointer file's state: absent, naming an id, or damaged. */
export type PointerState = null | string | { readonly damaged: string }

/** Everything a full scan of `rk/` learns: the chain, and what is not on it. */
export interface ChainScan {
  /** Ids from head to the last event reachable without a problem. */
  readonly chain: string[]
  /** The event file of the last id on `chain` (to relink it), or null for an empty chain. */
  readonly last: EventRecord | null
  readonly head: PointerState
  readonly recordedTail: PointerState
  /** Why the chain could not be followed to a `next: null` (missing or damaged event, cycle). */
  readonly brokenLinks: string[]
  /**
   * Paths of well-formed event files an interrupted add left: not on an intact chain, linked from
   * no file, named by no pointer, linking nowhere. Never acknowledged, so recovery removes them.
   */
  readonly orphans: string[]
  /**
   * Paths of well-formed event files that were part of the chain but cannot be reached from
   * `head`: past a break (`brokenAt`), or linked from another file or `rk/tail`, or linking on
   * themselves. Acknowledged history: never orphans, never removed.
   */
  readonly unreachable: string[]
  /**
   * The file where the chain broke (a missing or damaged event file, a damaged or missing
   * `rk/head`, the file that links back in a cycle), or null when the chain is intact.
   */
  readonly brokenAt: string | null
  /** Paths of event-tree files that fail their checks and are not on the chain. */
  readonly damaged: string[]
  /** Temp files of interrupted atomic replaces (in `rk/` and the event tree), link temps to finish excluded. */
  readonly temps: string[]
  /**
   * Links of acknowledged groups that are durable as a temp file only (FORMAT.md, "roll forward"),
   * in chain order: the chain above already runs through them; recovery renames each temp over
   * its target.
   */
  readonly pendingLinks: PendingLinkScan[]
  /** Anything else that has no place in the tree. */
  readonly strays: string[]
  /** Event files of a newer format version (paths): never removed; `open` refuses the store. */
  readonly newer: string[]
  /** Every leaf directory of the event tree. */
  readonly leafDirs: string[]
  /** Leaf directory of each id on the chain, in chain order (parallel to `chain`). */
  readonly chainDirs: string[]
}

const TOP_LEVEL = new Set(['FORMAT', 'head', 'tail', 'events', LOCK_FILE_NAME])

async function readPointer(fs: FileSystem, path: string): Promise<PointerState> {
  try {
    return decodePointer(await fs.readFile(path)) ?? { damaged: path }
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return null
    throw err
  }
}

/** One event file as scanned: only its link is kept, so a scan holds no event bodies in memory. */
type Entry = { readonly path: string; readonly dir: string; readonly ok: boolean; readonly newer: boolean; readonly next: string | null }

/** Reads every file of `rk/` and follows the chain from `head`. Changes nothing. */
export async function scanChain(fs: FileSystem, paths: RkPaths): Promise<ChainScan> {
  const temps: string[] = []
  const strays: string[] = []
  for (const name of await fs.readdir(paths.rk)) {
    if (TOP_LEVEL.has(name) || name.startsWith(`${LOCK_FILE_NAME}.`)) continue
    ;(isTempFile(name) ? temps : strays).push(join(paths.rk, name))
  }
  const tree = await scanTree(fs, paths.events, () => false)
  strays.push(...tree.strays)
  const candidates: { path: string; dir: string; id: string }[] = []
  for (const f of tree.files) {
    const path = join(f.dir, f.name)
    if (isUuid(f.name) && f.name.startsWith(f.prefix)) candidates.push({ path, dir: f.dir, id: f.name })
    else if (isTempFile(f.name)) temps.push(path)
    else strays.push(path)
  }
  const entries = new Map<string, Entry>()
  const read = await mapLimit(candidates, READ_CONCURRENCY, async (c) => {
    const bytes = await readSmallFile(fs, c.path)
    const record = decodeEventFile(bytes)
    const ok = record?.id === c.id
    return { ...c, ok, newer: !ok && newerEventFileVersion(bytes) !== undefined, next: ok ? record.next : null }
  })
  for (const r of read) entries.set(r.id, { path: r.path, dir: r.dir, ok: r.ok, newer: r.newer, next: r.next })

  const head = await readPointer(fs, paths.head)
  const recordedTail = await readPointer(fs, paths.tail)
  const chain: string[] = []
  const chainDirs: string[] = []
  const onChain = new Set<string>()
  const brokenLinks: string[] = []
  let lastPath: string | undefined
  let brokenAt: string | null = null
  if (head !== null && typeof head !== 'string') {
    brokenLinks.push(`${paths.head} is damaged`)
    brokenAt = paths.head
  } else {
    // No crash leaves a tail without its head (refuseUnrecoverable): the head is what broke.
    if (head === null && recordedTail !== null) brokenAt = paths.head
    let from = 'rk/head'
    let cur: string | null = head
    while (cur !== null) {
      const entry = entries.get(cur)
      if (entry === undefined) {
        brokenAt = join(leafDir(paths.events, cur), cur)
        brokenLinks.push(`${from} links to ${cur}, whose file ${brokenAt} does not exist`)
        break
      }
      if (!entry.ok) {
        brokenAt = entry.path
        brokenLinks.push(`${from} links to ${cur}, whose file ${entry.path} is damaged`)
        break
      }
      if (onChain.has(cur)) {
        brokenAt = lastPath ?? paths.head
        brokenLinks.push(`${from} links back to ${cur}: the chain has a cycle`)
        break
      }
      onChain.add(cur)
      chain.push(cur)
      chainDirs.push(entry.dir)
      lastPath = entry.path
      from = cur
      cur = entry.next
    }
  }
  // Roll forward (FORMAT.md): an intact chain may continue through the link temp file of an
  // acknowledged group whose rename was not done yet. Such a temp sits next to the chain's end
  // (or is `rk/head`'s while there is no head), names the end's own event with `next` set, and
  // links to a group whose files are all present, well-formed and end at `next: null`.
  const pendingLinks: PendingLinkScan[] = []
  while (brokenAt === null) {
    const target = lastPath ?? (head === null ? paths.head : undefined)
    if (target === undefined) break
    const prefix = `${target}.`
    const found: { temp: string; first: string }[] = []
    for (const temp of temps) {
      if (!temp.startsWith(prefix) || !isTempFile(temp.slice(dirname(target).length + 1)) || temp.length !== prefix.length + 16) continue
      const first = await linkTempTarget(fs, temp, lastPath === undefined ? undefined : chain.at(-1)!, lastPath)
      if (first !== undefined && completeGroup(entries, first, onChain) !== undefined) found.push({ temp, first })
    }
    if (found.length === 0) break
    if (found.length > 1) {
      brokenAt = target
      brokenLinks.push(`${found.length} link temp files next to ${target} each link a whole group: no crash leaves more than one`)
      break
    }
    const { temp, first } = found[0]!
    const files: string[] = []
    for (const id of completeGroup(entries, first, onChain)!) {
      const entry = entries.get(id)!
      files.push(entry.path)
      onChain.add(id)
      chain.push(id)
      chainDirs.push(entry.dir)
      lastPath = entry.path
    }
    temps.splice(temps.indexOf(temp), 1)
    pendingLinks.push({ temp, target, files })
  }
  // Off a chain that broke, every well-formed file is kept as unreachable history: the last
  // acknowledged event may look unlinked there (rk/tail can lag behind it), so none is an orphan.
  // Off an intact chain, a file an interrupted add left is an orphan (a group's files link to
  // each other but nothing links to the group, FORMAT.md), unless its links lead to what rk/tail
  // names: the tail names only linked events, so those files were history a lost link cut off.
  const history = brokenAt === null ? linkedToTail(entries, recordedTail, onChain) : undefined
  const orphans: string[] = []
  const unreachable: string[] = []
  const damaged: string[] = []
  const newer: string[] = []
  for (const [id, entry] of entries) {
    if (entry.newer) newer.push(entry.path)
    else if (onChain.has(id)) continue
    else if (!entry.ok) damaged.push(entry.path)
    else if (history === undefined || history.has(id)) unreachable.push(entry.path)
    else orphans.push(entry.path)
  }
  // Read the last event again, whole: it is the one the next add relinks.
  const last = lastPath === undefined ? null : (decodeEventFile(await fs.readFile(lastPath)) ?? null)
  if (lastPath !== undefined && last === null) brokenLinks.push(`${lastPath} became damaged during the scan`)
  return {
    chain,
    last,
    head,
    recordedTail,
    brokenLinks,
    orphans,
    unreachable,
    brokenAt,
    damaged,
    temps,
    strays,
    newer,
    pendingLinks,
    leafDirs: tree.dirs,
    chainDirs,
  }
}

/**
 * The first id a link temp file links to, or `undefined` when it is not a link of the chain's end:
 * for `rk/head` (no `lastId`) a well-formed pointer; for the end's event file, its own record
 * (same id and event) with `next` set.
 */
async function linkTempTarget(fs: FileSystem, temp: string, lastId: string | undefined, lastPath: string | undefined): Promise<string | undefined> {
  const bytes = await readSmallFile(fs, temp)
  if (lastId === undefined || lastPath === undefined) return decodePointer(bytes)
  const link = decodeEventFile(bytes)
  if (link?.id !== lastId || link.next === null) return undefined
  const last = decodeEventFile(await readSmallFile(fs, lastPath))
  return last?.next === null && last.eventJson === link.eventJson ? link.next : undefined
}

/**
 * The ids of the group starting at `first`, in order, when every one of its files is present and
 * well-formed, off the chain, and the last links to `null`; otherwise `undefined` (a group whose
 * round did not finish, never acknowledged).
 */
function completeGroup(entries: ReadonlyMap<string, Entry>, first: string, onChain: ReadonlySet<string>): string[] | undefined {
  const ids: string[] = []
  const seen = new Set<string>()
  for (let id: string | null = first; id !== null; ) {
    const entry = entries.get(id)
    if (entry?.ok !== true || entry.newer || onChain.has(id) || seen.has(id)) return undefined
    seen.add(id)
    ids.push(id)
    id = entry.next
  }
  return ids
}

/** Ids off the chain whose `next` links lead to the event `rk/tail` names (it included). */
function linkedToTail(entries: ReadonlyMap<string, Entry>, recordedTail: PointerState, onChain: ReadonlySet<string>): Set<string> {
  const found = new Set<string>()
  if (typeof recordedTail !== 'string' || onChain.has(recordedTail) || entries.get(recordedTail)?.ok !== true) return found
  const linkedFrom = new Map<string, string[]>()
  for (const [id, entry] of entries) {
    if (entry.ok && entry.next !== null && !onChain.has(id)) linkedFrom.set(entry.next, [...(linkedFrom.get(entry.next) ?? []), id])
  }
  const todo = [recordedTail]
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (found.has(id)) continue
    found.add(id)
    todo.push(...(linkedFrom.get(id) ?? []))
  }
  return found
}

/** The scan of a store without an event tree (nothing was ever added). */
export function emptyScan(): ChainScan {
  return {
    chain: [],
    last: null,
    head: null,
    recordedTail: null,
    brokenLinks: [],
    orphans: [],
    unreachable: [],
    brokenAt: null,
    damaged: [],
    temps: [],
    strays: [],
    newer: [],
    pendingLinks: [],
    leafDirs: [],
    chainDirs: [],
  }
}
