import type { FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { FLOOR_FILE, readFloor } from './floor.js'
import { dropBelowFloor, dropTornCreation, listSegments, refuseNewerFiles } from './recovery-files.js'
import { ensureTail, makeDurable } from './recovery-finish.js'
import { scanSegments } from './recovery-scan.js'
import type { RecoveryAction, RecoveryReport, WalEntry, WalRecoveryMode } from './types.js'

/** What the log knows about one segment (memory mirrors what the disk acknowledged). */
export interface SegmentInfo {
  readonly name: string
  readonly firstSeq: number
  /** Last committed seq in this segment (`firstSeq - 1` while it has none). */
  lastSeq: number
  /** Bytes acknowledged (header included): where the next write goes. */
  end: number
  /** Where a replay may start reading this segment instead of at its header (see {@link SeqMarks}). */
  marks?: SeqMarks
}

/**
 * Seq marks of a segment, found by recovery's scan (which checked every CRC up to them): after
 * the committed record ending at byte `offsets[i]` the last committed seq is `seqs[i]`, and no
 * batch is open. Ascending; one at least every `WAL_READ_CHUNK_BYTES` of committed records, and
 * one exactly at the truncation floor when it falls in the segment. A replay from `fromSeq`
 * starts at the last mark with `seq < fromSeq` instead of decoding every record before it. The
 * bytes before a mark never change (only the end of the last segment is ever written or cut).
 */
export interface SeqMarks {
  readonly seqs: readonly number[]
  readonly offsets: readonly number[]
}

export interface RecoveredLog {
  readonly segments: SegmentInfo[]
  readonly lastSeq: number
  readonly floorSeq: number
  readonly report: RecoveryReport
  /** True when `onRecover` was given every entry during the scan. */
  readonly delivered: boolean
}

/** How recovery runs (see `recoverLog`). */
export interface RecoverHow {
  readonly readOnly: boolean
  /** Gets the committed entries above the floor as the scan reads them (see `WalOptions.onRecover`). */
  readonly onRecover?: ((entries: WalEntry[]) => void) | undefined
  /** Deliver during the scan only when the floor on disk is at or above this seq (default 0). */
  readonly deliverUpTo?: number
}

/**
 * Recovery on open, as its steps (each in its own function; the control flow stays here). Every
 * step leaves a state from which running recovery again ends in the same place (a crash during
 * recovery changes nothing). Before anything changes, a file a newer release wrote is refused
 * (`WalUnsupportedVersionError`), never cut or removed. Then:
 * 0. the segment files are listed; temp files of an interrupted floor or quarantine write
 *    (`<name>.<12 hex>.tmp`) are unlinked ({@link listSegments});
 * 1. segments wholly at or below the truncation floor are unlinked; a missing first segment is
 *    corruption ({@link dropBelowFloor});
 * 2. a last segment whose header never became durable (a crash while rolling) is quarantined
 *    ({@link dropTornCreation});
 * 3. every segment is scanned; a torn tail of the last segment is cut off and the cut synced;
 *    corruption anywhere else is handled per `mode` ({@link scanSegments}); `how.onRecover` gets
 *    the committed entries above the floor as they are read (only when the floor on disk is at
 *    or above `how.deliverUpTo`: `delivered` in the result says so);
 * 4. what was read as the log is made durable ({@link makeDurable});
 * 5. if no segment is left to append to, an empty one is created ({@link ensureTail}).
 *
 * With `readOnly` (a read-only open: `fs` refuses every change) nothing is written: every step
 * works in memory only (a torn tail or what `point-in-time` would drop is left out of the
 * segments' `end`, files below the floor or of a torn creation are left out of the list), the
 * report's actions say what a writable open would do, and an empty log gets no segment.
 */
export async function recoverLog(fs: FileSystem, dir: string, mode: WalRecoveryMode, how: RecoverHow = { readOnly: false }): Promise<RecoveredLog> {
  const readOnly = how.readOnly
  const actions: RecoveryAction[] = []
  await refuseNewerFiles(fs, dir)
  const floorSeq = await readFloor(fs, join(dir, FLOOR_FILE))
  let names = await listSegments(fs, dir, readOnly)
  names = await dropBelowFloor(fs, dir, names, floorSeq, mode, readOnly, actions)
  names = await dropTornCreation(fs, dir, names, readOnly, actions)
  const onRecover = floorSeq >= (how.deliverUpTo ?? 0) ? how.onRecover : undefined
  const { segments, decoder } = await scanSegments(fs, dir, names, { floorSeq, mode, readOnly, onRecover }, actions)
  if (!readOnly) await makeDurable(fs, dir, segments)
  const lastSeq = await ensureTail(fs, dir, segments, decoder.lastSeq, floorSeq, readOnly)
  const report: RecoveryReport = { mode, readOnly, segments: segments.length, entries: decoder.entries, lastSeq, floorSeq, actions }
  return { segments, lastSeq, floorSeq, report, delivered: onRecover !== undefined }
}
