import { scanFrames } from '@quire/codec'
import { isQuarantineFile, isTempFile, quarantineFile, readFully, type FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { WalCorruptError, WalUnsupportedVersionError } from './errors.js'
import { FLOOR_FILE, FLOOR_MAGIC } from './floor.js'
import { WAL_MAX_FRAME_BYTES } from './limits.js'
import { withQuarantine } from './recovery-scan.js'
import { SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, decodeHeader, newerVersion, parseSegmentName } from './segment-header.js'
import type { RecoveryAction, WalRecoveryMode } from './types.js'

// Recovery's steps 0 to 2: which segment files make up the log (see `recoverLog`).

/** A segment file's name and the first seq it holds. */
export interface SegmentName {
  readonly name: string
  readonly firstSeq: number
}

/**
 * Step 0: the segment files of `dir`, in seq order. Temp files of a floor or quarantine write a
 * crash interrupted are unlinked on the way (never renamed into place, so never the floor, and a
 * quarantine a rerun of recovery writes again; made durable by step 4's directory sync).
 */
export async function listSegments(fs: FileSystem, dir: string, readOnly: boolean): Promise<SegmentName[]> {
  const names: SegmentName[] = []
  for (const name of await fs.readdir(dir)) {
    const firstSeq = parseSegmentName(name)
    if (firstSeq !== undefined) names.push({ name, firstSeq })
    else if (isOwnTempFile(name) && !readOnly) await fs.unlink(join(dir, name))
  }
  return names.sort((a, b) => a.firstSeq - b.firstSeq)
}

/**
 * Step 1: whole segments at or below the truncation floor (a `truncateBefore` that wrote its floor
 * but crashed before unlinking) are unlinked, durably. Then a log whose first segment starts above
 * floor + 1 has lost entries nothing truncated: `WalCorruptError` under 'strict', reported otherwise.
 * Returns the segments left.
 */
export async function dropBelowFloor(fs: FileSystem, dir: string, names: SegmentName[], floorSeq: number, mode: WalRecoveryMode, readOnly: boolean, actions: RecoveryAction[]): Promise<SegmentName[]> {
  let dropped = 0
  while (dropped + 1 < names.length && names[dropped + 1]!.firstSeq - 1 <= floorSeq) {
    const { name } = names[dropped]!
    const bytes = (await fs.stat(join(dir, name))).size
    if (!readOnly) await fs.unlink(join(dir, name))
    actions.push({ segment: name, offset: 0, bytes, action: 'removed-truncated-segment', reason: `every entry is at or below the truncation floor ${floorSeq}` })
    dropped++
  }
  if (dropped > 0 && !readOnly) await fs.syncDir(dir)
  const left = names.slice(dropped)
  const first = left[0]
  if (first !== undefined && first.firstSeq - 1 > floorSeq) {
    const reason = `the log starts at seq ${first.firstSeq} but nothing was truncated past ${floorSeq}: a segment is missing`
    if (mode === 'strict') throw new WalCorruptError(first.name, 0, reason)
    actions.push({ segment: first.name, offset: 0, bytes: 0, action: 'skipped-corrupt', reason })
  }
  return left
}

/**
 * Step 2: a last segment whose creation a crash interrupted (no valid header, nothing valid after
 * it) is moved to quarantine (a header damaged at rest looks the same: the bytes are kept).
 * Returns the segments left.
 */
export async function dropTornCreation(fs: FileSystem, dir: string, names: SegmentName[], readOnly: boolean, actions: RecoveryAction[]): Promise<SegmentName[]> {
  const last = names[names.length - 1]
  if (last === undefined || !(await isTornNewSegment(fs, join(dir, last.name)))) return names
  const bytes = (await fs.stat(join(dir, last.name))).size
  const quarantine = readOnly ? undefined : await quarantineFile(fs, dir, last.name)
  actions.push(withQuarantine({ segment: last.name, offset: 0, bytes, action: 'removed-torn-segment', reason: 'a crash interrupted its creation' }, quarantine))
  return names.slice(0, -1)
}

/** Throws `WalUnsupportedVersionError` for the first segment or floor file of a newer format version. */
export async function refuseNewerFiles(fs: FileSystem, dir: string): Promise<void> {
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

/**
 * Whether a directory entry is one a WAL writes (a segment, the floor, a quarantine file or a temp
 * file of one): the open mode's test of whether a non-empty folder holds a log.
 */
export function isWalFileName(name: string): boolean {
  return parseSegmentName(name) !== undefined || name === FLOOR_FILE || isQuarantineFile(name) || isOwnTempFile(name)
}

/** A temp file of `writeFileAtomic` for the floor or a quarantine file. */
function isOwnTempFile(name: string): boolean {
  if (!isTempFile(name)) return false
  const target = name.slice(0, -'.123456789abc.tmp'.length)
  return target === FLOOR_FILE || isQuarantineFile(target)
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

