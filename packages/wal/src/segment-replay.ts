import { isFsError, type FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { WalCorruptError } from './errors.js'
import { LogDecoder } from './log-decoder.js'
import type { SegmentInfo, SeqMarks } from './recovery.js'
import { scanSegment, type SegmentScanResult } from './segment-scan.js'
import type { WalEntry } from './types.js'

/** What to replay: committed entries in `[fromSeq, toSeq]` of `segments` (a snapshot of the list). */
export interface SegmentReplay {
  readonly fs: FileSystem
  readonly dir: string
  readonly segments: readonly SegmentInfo[]
  readonly fromSeq: number
  readonly toSeq: number
  readonly floorSeq: number
  /** `'skip-corrupt'`: bad frames are stepped over as recovery did. */
  readonly skip: boolean
  /** A replay from the floor: a batch `truncateBefore` cut through is yielded whole. */
  readonly fromFloor: boolean
  /** False once `truncateBefore` removed the segment (its entries are gone on purpose). */
  readonly listed: (segment: SegmentInfo) => boolean
}

/**
 * The read loop of `Wal.replayChunks` (and of an `onRecover` delivery made after recovery): one
 * array of committed entries per read chunk, never empty, batches whole.
 *
 * @throws `WalCorruptError` when acknowledged bytes no longer read back correctly.
 */
export async function* replaySegments(r: SegmentReplay): AsyncGenerator<WalEntry[], void, undefined> {
  const { segments, fromSeq, toSeq, skip } = r
  const decoder = new LogDecoder({
    materialize: true,
    fromSeq,
    toSeq,
    floorSeq: r.floorSeq,
    ...(r.fromFloor ? { wholeBatchesAbove: fromSeq } : {}),
  })
  const first = firstSegmentFor(segments, fromSeq)
  for (let i = first; i < segments.length; i++) {
    const seg = segments[i]!
    if (seg.firstSeq > toSeq) break
    // The first segment read starts at its last seq mark below fromSeq (recovery checked what
    // lies before it); a batch straddling fromSeq starts after a mark, so it is still read whole.
    const resume = skip || i !== first ? undefined : markBelow(seg.marks, fromSeq)
    const scan = scanSegment(r.fs, join(r.dir, seg.name), decoder, {
      nameSeq: seg.firstSeq,
      end: seg.end,
      skip,
      ...(resume === undefined ? {} : { resume }),
    })
    try {
      let step
      try {
        step = await scan.next()
      } catch (err) {
        // truncateBefore removed this segment meanwhile: its entries are gone on purpose, and
        // the next segment starts after a gap.
        if (isFsError(err, 'ENOENT') && !r.listed(seg)) {
          decoder.skip()
          continue
        }
        throw err
      }
      for (;;) {
        const chunk = decoder.take()
        if (chunk.length > 0) yield chunk
        if (step.done === true) {
          checkScan(seg, step.value, decoder, skip)
          break
        }
        step = await scan.next()
      }
    } finally {
      // Closes the segment's handle when the consumer stops early.
      await scan.return(undefined as never)
    }
    if (decoder.lastSeq >= toSeq) break
  }
}

function checkScan(seg: SegmentInfo, result: SegmentScanResult, decoder: LogDecoder, skip: boolean): void {
  if (result.problem !== undefined) throw new WalCorruptError(seg.name, result.problem.offset, result.problem.reason)
  if (!skip && (result.status !== 'clean' || decoder.hasPending)) {
    throw new WalCorruptError(seg.name, decoder.committedEnd, 'acknowledged records no longer read back')
  }
}

/**
 * The index of the segment `fromSeq` falls in: the last one whose first seq is at or below it
 * (binary search; 0 when every segment starts above it).
 */
function firstSegmentFor(segments: readonly SegmentInfo[], fromSeq: number): number {
  let lo = 0
  let hi = segments.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (segments[mid]!.firstSeq <= fromSeq) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** The last seq mark with a seq below `fromSeq`, or undefined. */
function markBelow(marks: SeqMarks | undefined, fromSeq: number): { seq: number; offset: number } | undefined {
  if (marks === undefined) return undefined
  const { seqs, offsets } = marks
  let lo = 0
  let hi = seqs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (seqs[mid]! < fromSeq) lo = mid + 1
    else hi = mid
  }
  return lo === 0 ? undefined : { seq: seqs[lo - 1]!, offset: offsets[lo - 1]! }
}
