import type { FrameSink } from '@quire/codec'
import { DELETE_HEADER_BYTES, FLAG_IN_BATCH, FRAME_BYTES, RECORD_COMMIT, RECORD_DELETE, RECORD_PUT, decodeRecord } from './record.js'
import { WAL_MAX_BATCH_ENTRIES, WAL_READ_CHUNK_BYTES } from './limits.js'
import { SEGMENT_HEADER_BYTES, readU32, readU64 } from './segment-header.js'
import type { WalEntry } from './types.js'

/** Why a frame (or a segment boundary) cannot be accepted; `offset` is in the segment file. */
export interface Problem {
  readonly offset: number
  readonly reason: string
}

/**
 * Turns the frames of consecutive segments into committed entries, checking every rule a
 * correct writer follows: seqs contiguous from the segment header's first seq, batch records
 * followed by a COMMIT that covers exactly them, nothing else in between. Used by recovery
 * (count only) and replay (materialize entries in a seq range).
 */
export class LogDecoder implements FrameSink {
  /** Last committed seq (0 before any). */
  lastSeq = 0
  /** Committed entries seen. */
  entries = 0
  /** Offset, in the current segment, just past the last committed record. */
  committedEnd = SEGMENT_HEADER_BYTES
  /** Entries in [fromSeq, toSeq] committed since the last `take()`. */
  out: WalEntry[] = []

  #expectSeq: number | undefined
  /** Why `frameAt` stopped the scan (see `takeProblem`). */
  #problem: Problem | undefined = undefined
  /** The uncommitted batch: its first seq, record count, and the entries materialized from it. */
  #pendingFirstSeq = 0
  #pendingCount = 0
  #pendingEntries: WalEntry[] = []
  #pendingStart = -1
  readonly #materialize: boolean
  readonly #fromSeq: number
  readonly #toSeq: number
  readonly #floorSeq: number
  /**
   * When set (a replay from the truncation floor), a batch that straddles this seq is yielded
   * whole, its entries at or below it included: replay never shows part of a batch, whatever seq
   * `truncateBefore` was given (issue 13).
   */
  readonly #wholeBatchesFrom: number | undefined
  /** Recovery: seq marks of the current segment (see `SeqMarks`), or undefined when not kept. */
  #markSeqs: number[] | undefined
  #markOffsets: number[] = []
  /** Where the last mark of the current segment ends. */
  #markedEnd = SEGMENT_HEADER_BYTES

  constructor(options: { materialize: boolean; fromSeq: number; toSeq: number; floorSeq: number; wholeBatchesAbove?: number; marks?: boolean }) {
    this.#materialize = options.materialize
    this.#fromSeq = options.fromSeq
    this.#toSeq = options.toSeq
    this.#floorSeq = options.floorSeq
    // A batch holds at most WAL_MAX_BATCH_ENTRIES records: older ones cannot straddle the floor.
    this.#wholeBatchesFrom = options.wholeBatchesAbove === undefined ? undefined : options.wholeBatchesAbove - WAL_MAX_BATCH_ENTRIES
    if (options.marks === true) this.#markSeqs = []
  }

  /** The seq marks of the current segment so far (recovery's decoder only), handed over once. */
  takeMarks(): { seqs: number[]; offsets: number[] } | undefined {
    const seqs = this.#markSeqs
    if (seqs === undefined || seqs.length === 0) return undefined
    const marks = { seqs, offsets: this.#markOffsets }
    this.#markSeqs = []
    this.#markOffsets = []
    return marks
  }

  /**
   * Starts decoding the segment begun with `beginSegment` at a seq mark: the records before
   * `offset` were committed up to `seq` (recovery checked them) and are not read again.
   */
  resumeAt(seq: number, offset: number): void {
    this.lastSeq = seq
    this.#expectSeq = seq + 1
    this.committedEnd = offset
  }

  /** After a record that committed: a mark at the floor, and at least one per read chunk. */
  #mark(): void {
    const seqs = this.#markSeqs
    if (seqs === undefined) return
    if (this.lastSeq !== this.#floorSeq && this.committedEnd - this.#markedEnd < WAL_READ_CHUNK_BYTES) return
    seqs.push(this.lastSeq)
    this.#markOffsets.push(this.committedEnd)
    this.#markedEnd = this.committedEnd
  }

  /** True while batch records have been read without their COMMIT. */
  get hasPending(): boolean {
    return this.#pendingCount > 0
  }

  /** Starts a segment whose header says its first seq is `firstSeq`. */
  beginSegment(firstSeq: number): Problem | undefined {
    this.committedEnd = SEGMENT_HEADER_BYTES
    this.#beginMarks()
    this.#dropPending()
    const expected = this.#expectSeq
    if (expected === undefined) {
      if (firstSeq <= this.lastSeq) return { offset: 0, reason: `segment starts at seq ${firstSeq}, not after ${this.lastSeq}` }
    } else if (firstSeq !== expected && !(firstSeq > expected && firstSeq - 1 <= this.#floorSeq)) {
      // A gap is only legal below the truncation floor (entries lost to a crash under sync 'none').
      return { offset: 0, reason: `segment starts at seq ${firstSeq}, expected ${expected}` }
    }
    this.#expectSeq = firstSeq
    return undefined
  }

  /** Starts a segment whose header cannot be trusted (skip mode): accept any later seq. */
  beginUntrustedSegment(): void {
    this.committedEnd = SEGMENT_HEADER_BYTES
    this.#beginMarks()
    this.skip()
  }

  /** Consumes one frame read at `offset` of the current segment. */
  frame(offset: number, payload: Uint8Array): Problem | undefined {
    return this.#frame(offset, payload, 0, payload.byteLength)
  }

  /** The problem that made `frameAt` stop a scan, handed over once. */
  takeProblem(): Problem | undefined {
    const problem = this.#problem
    this.#problem = undefined
    return problem
  }

  /**
   * `frame` as a `FrameScanner` sink (the payload is `bytes[start, start + length)`, no view of
   * its own): false stops the scan at a problem, which `takeProblem` gives.
   */
  frameAt(offset: number, bytes: Uint8Array, start: number, length: number): boolean {
    const problem = this.#frame(offset, bytes, start, length)
    if (problem === undefined) return true
    this.#problem = problem
    return false
  }

  #frame(offset: number, bytes: Uint8Array, p: number, length: number): Problem | undefined {
    // The hot path of replay: PUT and DELETE are parsed inline (no intermediate object), at
    // offsets into the read chunk (views only for what an entry keeps).
    const type = bytes[p]
    if (type !== RECORD_PUT && type !== RECORD_DELETE) return this.#other(offset, new Uint8Array(bytes.buffer, bytes.byteOffset + p, length))
    const flags = bytes[p + 1]!
    if (length < DELETE_HEADER_BYTES || (flags & ~FLAG_IN_BATCH) !== 0) return { offset, reason: 'malformed record' }
    const seq = readU64(bytes, p + 2)
    const timestampMs = readU64(bytes, p + 10)
    if (seq < 1 || timestampMs < 0) return { offset, reason: 'seq or timestamp out of range' }
    const keyEnd = DELETE_HEADER_BYTES + readU32(bytes, p + 18)
    const isTombstone = type === RECORD_DELETE
    let valueStart = 0
    if (isTombstone) {
      if (keyEnd !== length) return { offset, reason: 'DELETE record length mismatch' }
    } else {
      valueStart = keyEnd + 4
      if (valueStart > length || valueStart + readU32(bytes, p + keyEnd) !== length) {
        return { offset, reason: 'PUT record length mismatch' }
      }
    }
    const expected = this.#expectSeq
    if (expected === undefined ? seq <= this.lastSeq : seq !== expected) {
      return { offset, reason: `seq ${seq} where ${expected ?? `a seq above ${this.lastSeq}`} was expected` }
    }
    const inBatch = (flags & FLAG_IN_BATCH) !== 0
    if (!inBatch && this.#pendingCount > 0) return { offset, reason: 'record inside an uncommitted batch' }
    let entry: WalEntry | undefined
    // In-batch records just below fromSeq are kept for now: their batch may straddle the floor.
    const tentative = inBatch && this.#wholeBatchesFrom !== undefined && seq < this.#fromSeq && seq > this.#wholeBatchesFrom
    if (this.#materialize && ((seq >= this.#fromSeq && seq <= this.#toSeq) || tentative)) {
      // Views, not copies: every chunk is a fresh buffer that is never written again.
      const at = bytes.byteOffset + p
      entry = {
        seq,
        timestampMs,
        op: isTombstone ? 'delete' : 'put',
        key: new Uint8Array(bytes.buffer, at + DELETE_HEADER_BYTES, keyEnd - DELETE_HEADER_BYTES),
        value: isTombstone ? null : new Uint8Array(bytes.buffer, at + valueStart, length - valueStart),
        isTombstone,
      }
    }
    this.#expectSeq = seq + 1
    if (inBatch) {
      if (this.#pendingCount === 0) {
        this.#pendingStart = offset
        this.#pendingFirstSeq = seq
      }
      this.#pendingCount++
      if (entry !== undefined) this.#pendingEntries.push(entry)
      return undefined
    }
    if (entry !== undefined) this.out.push(entry)
    this.lastSeq = seq
    this.entries++
    this.committedEnd = offset + FRAME_BYTES + length
    this.#mark()
    return undefined
  }

  /** COMMIT records, and anything that is not a record. */
  #other(offset: number, payload: Uint8Array): Problem | undefined {
    const r = decodeRecord(payload)
    if (typeof r === 'string') return { offset, reason: r }
    if (r.type !== RECORD_COMMIT) return { offset, reason: 'unexpected record' }
    const count = this.#pendingCount
    if (count === 0) return { offset, reason: 'COMMIT without a batch' }
    if (r.firstSeq !== this.#pendingFirstSeq || r.count !== count) {
      return { offset, reason: `COMMIT covers ${r.count} from seq ${r.firstSeq}, batch has ${count} from ${this.#pendingFirstSeq}` }
    }
    // Entries below fromSeq were kept only in case the batch straddles it: it does if it ends at
    // or above fromSeq, and then it is yielded whole; else they are dropped.
    if (this.#pendingFirstSeq + count - 1 >= this.#fromSeq) for (const entry of this.#pendingEntries) this.out.push(entry)
    this.lastSeq = this.#pendingFirstSeq + count - 1
    this.entries += count
    this.committedEnd = offset + FRAME_BYTES + payload.byteLength
    this.#clearPending()
    this.#mark()
    return undefined
  }

  /** After a problem, in skip mode: forget the broken batch and accept any later seq. */
  skip(): void {
    this.#dropPending()
    this.#expectSeq = undefined
  }

  /** The entries committed since the last call. */
  take(): WalEntry[] {
    const out = this.out
    this.out = []
    return out
  }

  /** Offset of the first record of the uncommitted batch, or -1. */
  get pendingStart(): number {
    return this.#pendingStart
  }

  #beginMarks(): void {
    if (this.#markSeqs !== undefined && this.#markSeqs.length > 0) {
      this.#markSeqs = []
      this.#markOffsets = []
    }
    this.#markedEnd = SEGMENT_HEADER_BYTES
  }

  #dropPending(): void {
    if (this.#pendingCount > 0) {
      // The batch's seqs were never committed: the next record may reuse them (a crash cut the
      // batch and the writer continued from the last committed seq).
      this.#expectSeq = this.#pendingFirstSeq
    }
    this.#clearPending()
  }

  #clearPending(): void {
    this.#pendingCount = 0
    this.#pendingStart = -1
    if (this.#pendingEntries.length > 0) this.#pendingEntries = []
  }
}
