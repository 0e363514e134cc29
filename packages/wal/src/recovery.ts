import { scanFrames } from '@quire/codec'
import { isQuarantineFile, isTempFile, quarantineBytes, quarantineFile, readFully, type FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { WalCorruptError, WalUnsupportedVersionError } from './errors.js'
import { FLOOR_FILE, FLOOR_MAGIC, readFloor } from './floor.js'
import { WAL_MAX_FRAME_BYTES } from './limits.js'
import { LogDecoder, type Problem } from './log-decoder.js'
import { SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, decodeHeader, encodeHeader, newerVersion, parseSegmentName, segmentName } from './segment-header.js'
import { scanSegment, type SegmentScanResult } from './segment-scan.js'
import type { RecoveryAction, RecoveryReport, WalRecoveryMode } from './types.js'

/** What the log knows about one segment (memory mirrors what the disk acknowledged). */
export interface SegmentInfo {
  readonly name: string
  readonly firstSeq: number
  /** Last committed seq in this segment (`firstSeq - 1` while it has none). */
  lastSeq: number
  /** Bytes acknowledged (header included): where the next write goes. */
  end: number
}

export interface RecoveredLog {
  readonly segments: SegmentInfo[]
  readonly lastSeq: number
  readonly floorSeq: number
  readonly report: RecoveryReport
}

/**
 * Recovery on open. Every step leaves a state from which running recovery again ends in the
 * same place (a crash during recovery changes nothing):
 * 0. temp files of an interrupted floor or quarantine write (`<name>.<12 hex>.tmp`) are unlinked;
 * 1. segments wholly at or below the truncation floor are unlinked (a `truncateBefore` that
 *    wrote its floor but crashed before unlinking);
 * 2. a last segment whose header never became durable (a crash while rolling) is unlinked;
 * 3. every segment is scanned; a torn tail of the last segment (an incomplete frame, or a batch
 *    without its COMMIT) is cut off and the cut synced; corruption anywhere else is handled per
 *    `mode`;
 * 4. if no segment is left to append to, an empty one is created.
 *
 * With `readOnly` (a read-only open: `fs` refuses every change) nothing is written: every step
 * works in memory only (a torn tail or what `point-in-time` would drop is left out of the
 * segments' `end`, files below the floor or of a torn creation are left out of the list), the
 * report's actions say what a writable open would do, and an empty log gets no segment.
 */
export async function recoverLog(fs: FileSystem, dir: string, mode: WalRecoveryMode, readOnly = false): Promise<RecoveredLog> {
  const actions: RecoveryAction[] = []
  // Before anything changes: a file a newer release wrote is refused, never cut or removed.
  await refuseNewerFiles(fs, dir)
  const floorSeq = await readFloor(fs, join(dir, FLOOR_FILE))
  let names: { name: string; firstSeq: number }[] = []
  for (const name of await fs.readdir(dir)) {
    const firstSeq = parseSegmentName(name)
    if (firstSeq !== undefined) names.push({ name, firstSeq })
    // 0. Temp files of a floor or quarantine write a crash interrupted: never renamed into place,
    //    so never the floor, and a quarantine a rerun of recovery writes again. (Made durable by
    //    the directory sync of step 4.)
    else if (isOwnTempFile(name) && !readOnly) await fs.unlink(join(dir, name))
  }
  names.sort((a, b) => a.firstSeq - b.firstSeq)

  // 1. Whole segments below the floor.
  let dropped = 0
  while (dropped + 1 < names.length && names[dropped + 1]!.firstSeq - 1 <= floorSeq) {
    const { name } = names[dropped]!
    const bytes = (await fs.stat(join(dir, name))).size
    if (!readOnly) await fs.unlink(join(dir, name))
    actions.push({ segment: name, offset: 0, bytes, action: 'removed-truncated-segment', reason: `every entry is at or below the truncation floor ${floorSeq}` })
    dropped++
  }
  if (dropped > 0) {
    if (!readOnly) await fs.syncDir(dir)
    names = names.slice(dropped)
  }

  // A log whose first segment starts above floor + 1 has lost entries nothing truncated.
  const first = names[0]
  if (first !== undefined && first.firstSeq - 1 > floorSeq) {
    const reason = `the log starts at seq ${first.firstSeq} but nothing was truncated past ${floorSeq}: a segment is missing`
    if (mode === 'strict') throw new WalCorruptError(first.name, 0, reason)
    actions.push({ segment: first.name, offset: 0, bytes: 0, action: 'skipped-corrupt', reason })
  }

  // 2. A last segment whose creation a crash interrupted.
  const last = names[names.length - 1]
  if (last !== undefined && (await isTornNewSegment(fs, join(dir, last.name)))) {
    const bytes = (await fs.stat(join(dir, last.name))).size
    // Most likely a torn creation, but a header damaged at rest looks the same: keep the bytes.
    const quarantine = readOnly ? undefined : await quarantineFile(fs, dir, last.name)
    actions.push(withQuarantine({ segment: last.name, offset: 0, bytes, action: 'removed-torn-segment', reason: 'a crash interrupted its creation' }, quarantine))
    names.pop()
  }

  // 3. Scan.
  const decoder = new LogDecoder({ materialize: false, fromSeq: Infinity, toSeq: 0, floorSeq })
  const segments: SegmentInfo[] = []
  for (let i = 0; i < names.length; i++) {
    const { name, firstSeq } = names[i]!
    const path = join(dir, name)
    const isLast = i === names.length - 1
    const size = (await fs.stat(path)).size
    const entriesBefore = decoder.entries
    const lastSeqBefore = decoder.lastSeq
    const result = await drain(scanSegment(fs, path, decoder, { nameSeq: firstSeq, end: size, skip: mode === 'skip-corrupt' }))
    for (const s of result.skipped) actions.push({ segment: name, offset: s.offset, bytes: s.bytes, action: 'skipped-corrupt', reason: s.reason })
    const info: SegmentInfo = { name, firstSeq, lastSeq: firstSeq - 1, end: size }
    let problem: Problem | undefined = result.problem
    if (problem === undefined && (result.status !== 'clean' || decoder.hasPending)) {
      const reason = decoder.hasPending ? 'a batch without its COMMIT' : 'an incomplete or damaged last record'
      if (isLast) {
        // A torn tail: cut it so new appends never follow garbage, and make the cut durable. A
        // last record damaged at rest looks the same, so the bytes are kept first.
        // Read-only (next to a live writer, this may be an append in flight): read up to it only.
        const cut = decoder.committedEnd
        const quarantine = readOnly ? undefined : await quarantineRange(fs, dir, name, cut, size)
        if (!readOnly) await cutSegment(fs, path, cut)
        actions.push(withQuarantine({ segment: name, offset: cut, bytes: size - cut, action: 'cut-torn-tail', reason }, quarantine))
        info.end = cut
      } else if (mode === 'skip-corrupt') {
        const from = decoder.committedEnd
        actions.push({ segment: name, offset: from, bytes: size - from, action: 'skipped-corrupt', reason: `${reason} in the middle of the log` })
        decoder.skip()
      } else {
        problem = { offset: decoder.committedEnd, reason: `${reason} in the middle of the log` }
      }
    }
    if (problem !== undefined) {
      if (mode === 'strict') throw new WalCorruptError(name, problem.offset, problem.reason)
      // point-in-time: keep everything before the problem, drop everything after it.
      const later = names.slice(i + 1).reverse()
      for (const seg of later) {
        const bytes = (await fs.stat(join(dir, seg.name))).size
        const quarantine = readOnly ? undefined : await quarantineFile(fs, dir, seg.name)
        actions.push(withQuarantine({ segment: seg.name, offset: 0, bytes, action: 'removed-after-corruption', reason: `corruption in ${name} at byte ${problem.offset}: ${problem.reason}` }, quarantine))
      }
      if (problem.offset === 0) {
        // The segment itself cannot be trusted (header, or its place in the sequence).
        const quarantine = readOnly ? undefined : await quarantineFile(fs, dir, name)
        actions.push(withQuarantine({ segment: name, offset: 0, bytes: size, action: 'removed-after-corruption', reason: problem.reason }, quarantine))
      } else {
        const cut = decoder.committedEnd
        const quarantine = readOnly ? undefined : await quarantineRange(fs, dir, name, cut, size)
        if (!readOnly) await cutSegment(fs, path, cut)
        actions.push(withQuarantine({ segment: name, offset: cut, bytes: size - cut, action: 'cut-corrupt', reason: problem.reason }, quarantine))
        if (decoder.entries > entriesBefore) info.lastSeq = decoder.lastSeq
        info.end = cut
        segments.push(info)
      }
      break
    }
    if (decoder.entries > entriesBefore && decoder.lastSeq > lastSeqBefore) info.lastSeq = decoder.lastSeq
    segments.push(info)
  }

  // 4. Make what was just read as the log durable. After a SIGKILL (not a power loss) the OS may
  //    still hold writes the dead process never synced, even a segment's name: new appends must
  //    not be built on them and acknowledged while a power loss could still take them away.
  //    Syncing a file with nothing dirty costs next to nothing. (A read-only open appends nothing.)
  for (const segment of readOnly ? [] : segments) {
    const handle = await fs.open(join(dir, segment.name), 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }
  if (!readOnly) await fs.syncDir(dir)

  // 5. Somewhere to append.
  const tail = segments[segments.length - 1]
  let lastSeq = Math.max(decoder.lastSeq, tail === undefined ? 0 : tail.firstSeq - 1)
  if (tail === undefined || lastSeq < floorSeq) {
    // Under sync 'none' a crash may lose entries the floor already covers: continue above it.
    lastSeq = Math.max(lastSeq, floorSeq)
    if (!readOnly) segments.push(await createSegment(fs, dir, lastSeq + 1))
  }
  const report: RecoveryReport = {
    mode,
    readOnly,
    segments: segments.length,
    entries: decoder.entries,
    lastSeq,
    floorSeq,
    actions,
  }
  return { segments, lastSeq, floorSeq, report }
}

/** Creates an empty segment durably: header written and synced, then the directory synced. */
export async function createSegment(fs: FileSystem, dir: string, firstSeq: number): Promise<SegmentInfo> {
  const name = segmentName(firstSeq)
  const path = join(dir, name)
  const handle = await fs.open(path, 'wx')
  try {
    await handle.write(encodeHeader(SEGMENT_MAGIC, firstSeq), 0)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.syncDir(dir)
  return { name, firstSeq, lastSeq: firstSeq - 1, end: SEGMENT_HEADER_BYTES }
}

/** Throws `WalUnsupportedVersionError` for the first segment or floor file of a newer format version. */
async function refuseNewerFiles(fs: FileSystem, dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    const magic = name === FLOOR_FILE ? FLOOR_MAGIC : parseSegmentName(name) !== undefined ? SEGMENT_MAGIC : undefined
    if (magic === undefined) continue
    const handle = await fs.open(join(dir, name), 'r')
    let head: Uint8Array
    try {
      head = await readFully(handle, 0, 10)
    } finally {
      await handle.close()
    }
    const version = newerVersion(magic, head)
    if (version !== undefined) throw new WalUnsupportedVersionError(name, version)
  }
}

/** A temp file of `writeFileAtomic` for the floor or a quarantine file. */
function isOwnTempFile(name: string): boolean {
  if (!isTempFile(name)) return false
  const target = name.slice(0, -'.123456789abc.tmp'.length)
  return target === FLOOR_FILE || isQuarantineFile(target)
}

/** Copies bytes `[from, to)` of a segment into a quarantine file (durably), before they are cut. */
async function quarantineRange(fs: FileSystem, dir: string, name: string, from: number, to: number): Promise<string | undefined> {
  if (to <= from) return undefined
  const handle = await fs.open(join(dir, name), 'r')
  let bytes: Uint8Array
  try {
    bytes = await readFully(handle, from, to - from)
  } finally {
    await handle.close()
  }
  return quarantineBytes(fs, dir, name, from, bytes)
}

function withQuarantine(action: RecoveryAction, quarantine: string | undefined): RecoveryAction {
  return quarantine === undefined ? action : { ...action, quarantine }
}

async function cutSegment(fs: FileSystem, path: string, length: number): Promise<void> {
  const handle = await fs.open(path, 'r+')
  try {
    await handle.truncate(length)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** A segment whose header is not valid and after which no valid frame exists: a torn creation. */
async function isTornNewSegment(fs: FileSystem, path: string): Promise<boolean> {
  const handle = await fs.open(path, 'r')
  let header: Uint8Array
  try {
    header = await readFully(handle, 0, SEGMENT_HEADER_BYTES)
  } finally {
    await handle.close()
  }
  if (!('invalid' in decodeHeader(SEGMENT_MAGIC, header))) return false
  // Rare: read the rest to tell a torn creation (nothing valid follows) from a damaged header.
  const bytes = await fs.readFile(path)
  if (bytes.byteLength <= SEGMENT_HEADER_BYTES) return true
  const scan = scanFrames(bytes, { offset: SEGMENT_HEADER_BYTES, maxFrameBytes: WAL_MAX_FRAME_BYTES })
  return scan.frames.length === 0 && scan.status !== 'corrupt'
}

async function drain(scan: AsyncGenerator<void, SegmentScanResult>): Promise<SegmentScanResult> {
  for (;;) {
    const step = await scan.next()
    if (step.done === true) return step.value
  }
}
