import { quarantineBytes, quarantineFile, readFully, type FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { WalCorruptError } from './errors.js'
import { isFreeSpace } from './free-space.js'
import { LogDecoder, type Problem } from './log-decoder.js'
import type { SegmentName } from './recovery-files.js'
import type { SegmentInfo } from './recovery.js'
import { scanSegment, type SegmentScanResult } from './segment-scan.js'
import type { RecoveryAction, WalEntry, WalRecoveryMode } from './types.js'

// Recovery's step 3 (see `recoverLog`).

/**
 * Step 3: every segment is scanned. A torn tail of the last segment (an incomplete frame, or a
 * batch without its COMMIT) is cut off and the cut synced, its bytes quarantined first; corruption
 * anywhere else is handled per `mode` ('strict': `WalCorruptError`; 'point-in-time': everything
 * from it on is cut or removed, quarantined first; 'skip-corrupt': skipped and reported). Returns
 * the segments kept and the decoder that read them (its `entries` and `lastSeq`).
 *
 * With `onRecover`, the committed entries above the floor go to it after every read chunk, as
 * the decoder commits them: exactly what `replayChunks()` from the floor later yields. The
 * decoder hands out an entry only once its record (or its batch's COMMIT) is read, and every
 * cut made here (torn tail, point-in-time) is at `committedEnd`, after all of them, so nothing
 * given is ever cut; a batch `truncateBefore` cut through is given whole, as replay gives it.
 */
export async function scanSegments(
  fs: FileSystem,
  dir: string,
  names: readonly SegmentName[],
  how: {
    readonly floorSeq: number
    readonly mode: WalRecoveryMode
    readonly readOnly: boolean
    readonly onRecover: ((entries: WalEntry[]) => void) | undefined
  },
  actions: RecoveryAction[],
): Promise<{ segments: SegmentInfo[]; decoder: LogDecoder }> {
  const { floorSeq, mode, readOnly, onRecover } = how
  // Seq marks let a replay start inside a segment (skip scans read their segments whole anyway).
  const decoder =
    onRecover === undefined
      ? new LogDecoder({ materialize: false, fromSeq: Infinity, toSeq: 0, floorSeq, marks: mode !== 'skip-corrupt' })
      : new LogDecoder({
          materialize: true,
          fromSeq: floorSeq + 1,
          toSeq: Infinity,
          floorSeq,
          marks: mode !== 'skip-corrupt',
          ...(floorSeq > 0 ? { wholeBatchesAbove: floorSeq + 1 } : {}),
        })
  const segments: SegmentInfo[] = []
  for (let i = 0; i < names.length; i++) {
    const { name, firstSeq } = names[i]!
    const path = join(dir, name)
    const isLast = i === names.length - 1
    const size = (await fs.stat(path)).size
    const entriesBefore = decoder.entries
    const lastSeqBefore = decoder.lastSeq
    const result = await drain(scanSegment(fs, path, decoder, { nameSeq: firstSeq, end: size, skip: mode === 'skip-corrupt' }), decoder, onRecover)
    for (const s of result.skipped) actions.push({ segment: name, offset: s.offset, bytes: s.bytes, action: 'skipped-corrupt', reason: s.reason })
    const info: SegmentInfo = { name, firstSeq, lastSeq: firstSeq - 1, end: size }
    // Every mark lies at or before the committed end, where any cut below is made.
    const marks = decoder.takeMarks()
    if (marks !== undefined) info.marks = marks
    let problem: Problem | undefined = result.problem
    const freeSpace =
      isLast && problem === undefined && result.status === 'torn' && !decoder.hasPending && (await isFreeSpace(fs, path, decoder.committedEnd, size))
    if (freeSpace) {
      // Zeros after the last record of the active segment: the writer's preallocated free space,
      // not a torn record. Kept (the next append overwrites it), nothing to report.
      info.end = decoder.committedEnd
    } else if (problem === undefined && (result.status !== 'clean' || decoder.hasPending)) {
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
      const keepsPart = await keepBeforeCorruption(fs, dir, names.slice(i + 1), { info, size, problem, cut: decoder.committedEnd }, readOnly, actions)
      if (keepsPart) {
        if (decoder.entries > entriesBefore) info.lastSeq = decoder.lastSeq
        segments.push(info)
      }
      break
    }
    if (decoder.entries > entriesBefore && decoder.lastSeq > lastSeqBefore) info.lastSeq = decoder.lastSeq
    segments.push(info)
  }

  return { segments, decoder }
}

/**
 * `'point-in-time'`: keeps everything before the problem and drops everything after it, durably,
 * quarantining what it removes: the later segments, then this one from the problem on (all of it
 * when the problem is at its start: its header, or its place in the sequence, cannot be trusted).
 * Returns whether the segment keeps a part (its `end` is then the cut).
 */
async function keepBeforeCorruption(
  fs: FileSystem,
  dir: string,
  later: readonly SegmentName[],
  at: { readonly info: SegmentInfo; readonly size: number; readonly problem: Problem; readonly cut: number },
  readOnly: boolean,
  actions: RecoveryAction[],
): Promise<boolean> {
  const { info, size, problem, cut } = at
  const name = info.name
  for (const seg of [...later].reverse()) {
    const bytes = (await fs.stat(join(dir, seg.name))).size
    const quarantine = readOnly ? undefined : await quarantineFile(fs, dir, seg.name)
    actions.push(withQuarantine({ segment: seg.name, offset: 0, bytes, action: 'removed-after-corruption', reason: `corruption in ${name} at byte ${problem.offset}: ${problem.reason}` }, quarantine))
  }
  if (problem.offset === 0) {
    const quarantine = readOnly ? undefined : await quarantineFile(fs, dir, name)
    actions.push(withQuarantine({ segment: name, offset: 0, bytes: size, action: 'removed-after-corruption', reason: problem.reason }, quarantine))
    return false
  }
  const quarantine = readOnly ? undefined : await quarantineRange(fs, dir, name, cut, size)
  if (!readOnly) await cutSegment(fs, join(dir, name), cut)
  actions.push(withQuarantine({ segment: name, offset: cut, bytes: size - cut, action: 'cut-corrupt', reason: problem.reason }, quarantine))
  info.end = cut
  return true
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

export function withQuarantine(action: RecoveryAction, quarantine: string | undefined): RecoveryAction {
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

/** Runs a segment's scan to its end, handing `onRecover` what each read chunk committed. */
async function drain(
  scan: AsyncGenerator<void, SegmentScanResult>,
  decoder: LogDecoder,
  onRecover: ((entries: WalEntry[]) => void) | undefined,
): Promise<SegmentScanResult> {
  try {
    for (;;) {
      const step = await scan.next()
      if (onRecover !== undefined && decoder.out.length > 0) onRecover(decoder.take())
      if (step.done === true) return step.value
    }
  } finally {
    // Closes the segment's handle when onRecover throws.
    await scan.return(undefined as never)
  }
}
