import { mapLimit, unlinkIfPresent, writeFileAtomic, type FileSystem } from '@quire/vfs'
import { dirname } from 'node:path'
import type { ChainScan, RkPaths } from './chain-scan.js'
import { RecordKeeperError } from './errors.js'
import { READ_CONCURRENCY } from './limits.js'
import { encodePointer } from './pointer-file.js'

/** fsyncs a file that is already written (opened for reading: `fdatasync` needs no write access). */
async function syncFile(fs: FileSystem, path: string): Promise<void> {
  const handle = await fs.open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** What `open` found and repaired. */
export interface RecoveryReport {
  /** Events on the chain. */
  readonly events: number
  /** Event files written but never linked (and damaged unlinked files), removed. */
  readonly orphansRemoved: number
  /** Temp files of interrupted atomic replaces, removed. */
  readonly tempFilesRemoved: number
  /** Links of acknowledged groups found as temp files only, renamed into place (FORMAT.md, "roll forward"). */
  readonly linksFinished: number
  /** True when `rk/tail` did not name the true tail and was rewritten. */
  readonly tailRepaired: boolean
  /**
   * True when the store was opened with `readOnly: true`: nothing was changed, and the counts say
   * what a writable open would remove or repair.
   */
  readonly readOnly: boolean
}

/**
 * Refuses a store recovery must not touch: `UNSUPPORTED_VERSION` when a newer release wrote an
 * event file (it would otherwise be removed as damage), `CORRUPT` when the chain is broken or an
 * event file that was linked is off it (no crash causes either, and recovery must not treat the
 * history as orphans to remove).
 */
export function refuseUnrecoverable(scan: ChainScan, paths: RkPaths, readOnly: boolean): void {
  if (scan.newer.length > 0) {
    const which = `${scan.newer[0]!} (and ${scan.newer.length - 1} more) is an event file of a newer format, written by a newer release`
    throw new RecordKeeperError('UNSUPPORTED_VERSION', readOnly ? which : `${which}; this release will not touch the store`)
  }
  if (readOnly) {
    if ((scan.head === null && scan.recordedTail !== null) || scan.brokenLinks.length > 0 || scan.unreachable.length > 0) {
      throw new RecordKeeperError('CORRUPT', `the history in ${paths.rk} is broken; RecordKeeper.verify(dir) reports more`)
    }
    return
  }
  // No crash leaves a tail without its head (the tail file is written only after the link it
  // names is durable): a missing head is damage, and recovery must not treat the whole
  // history as unlinked orphans to remove.
  if (scan.head === null && scan.recordedTail !== null) {
    throw new RecordKeeperError('CORRUPT', `${paths.head} is missing but ${paths.tail} names an event; RecordKeeper.verify(dir) reports more`)
  }
  if (scan.brokenLinks.length > 0) {
    throw new RecordKeeperError(
      'CORRUPT',
      `the history in ${paths.rk} is broken at ${scan.brokenAt ?? paths.head} (${scan.brokenLinks.join('; ')}); ${scan.unreachable.length} later event files are unreachable and kept; RecordKeeper.verify(dir) reports more`,
    )
  }
  // A whole chain, yet files its links show were on it are off it (a link lost): damage too,
  // and those files are history, never orphans to remove.
  if (scan.unreachable.length > 0) {
    throw new RecordKeeperError(
      'CORRUPT',
      `${scan.unreachable[0]!} (and ${scan.unreachable.length - 1} more) was linked into the history in ${paths.rk} but is not on its chain; RecordKeeper.verify(dir) reports more`,
    )
  }
}

/** Recovery's repairs, each idempotent (a crash during them is recovered the same way). */
export async function repair(fs: FileSystem, paths: RkPaths, scan: ChainScan): Promise<RecoveryReport> {
  // Roll forward: the links of groups durable as temp files go into place (their directories are
  // synced with the chain's below). A killed writer may have left a group whose round never
  // finished looking whole in the page cache: make its files, their names and the temp durable
  // before the rename, or a power loss later could take them from under a durable link.
  for (const link of scan.pendingLinks) {
    await mapLimit([...link.files, link.temp], READ_CONCURRENCY, (path) => syncFile(fs, path))
    const dirs = new Set<string>()
    for (const file of link.files) for (let d = dirname(file); d !== paths.rk; d = dirname(d)) dirs.add(d)
    await mapLimit([...dirs], READ_CONCURRENCY, (d) => fs.syncDir(d))
    await fs.syncDir(dirname(link.temp))
    await fs.rename(link.temp, link.target)
  }
  // A writer killed (not powered off) may leave its last linking rename without its directory
  // fsync: make every link from the recorded tail on durable before building on it.
  await fs.syncDir(paths.rk)
  const from = typeof scan.recordedTail === 'string' ? scan.chain.indexOf(scan.recordedTail) : -1
  const linkDirs = new Set(scan.chainDirs.slice(Math.max(from, 0)))
  for (const link of scan.pendingLinks) linkDirs.add(dirname(link.target))
  await mapLimit([...linkDirs], READ_CONCURRENCY, (d) => fs.syncDir(d))

  const garbage = [...scan.orphans, ...scan.damaged, ...scan.temps]
  await mapLimit(garbage, READ_CONCURRENCY, (path) => unlinkIfPresent(fs, path))
  await mapLimit([...new Set(garbage.map((p) => dirname(p)))], READ_CONCURRENCY, (d) => fs.syncDir(d))

  const trueTail = scan.chain.at(-1) ?? null
  let tailRepaired = false
  if (trueTail === null && scan.recordedTail !== null) {
    await unlinkIfPresent(fs, paths.tail)
    await fs.syncDir(paths.rk)
    tailRepaired = true
  } else if (trueTail !== null && scan.recordedTail !== trueTail) {
    await writeFileAtomic(fs, paths.tail, encodePointer(trueTail))
    tailRepaired = true
  }
  return {
    events: scan.chain.length,
    orphansRemoved: scan.orphans.length + scan.damaged.length,
    tempFilesRemoved: scan.temps.length,
    linksFinished: scan.pendingLinks.length,
    tailRepaired,
    readOnly: false,
  }
}

/** What a writable open would repair, for a read-only open (which repairs nothing). */
export function readOnlyReport(scan: ChainScan): RecoveryReport {
  return {
    events: scan.chain.length,
    orphansRemoved: scan.orphans.length + scan.damaged.length,
    tempFilesRemoved: scan.temps.length,
    linksFinished: scan.pendingLinks.length,
    tailRepaired: (scan.chain.at(-1) ?? null) !== scan.recordedTail,
    readOnly: true,
  }
}
