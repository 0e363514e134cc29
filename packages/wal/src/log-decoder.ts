import { FRAME_BYTES, RECORD_COMMIT, RECORD_DELETE, decodeRecord } from './record.js'
import { SEGMENT_HEADER_BYTES } from './segment-header.js'
import type { WalEntry } from './types.js'

/** Why a frame (or a segment boundary) cannot be accepted; `offset` is in the segment file. */
export interface Problem {
  readonly offset: number
  readonly reason: string
}

interface PendingOp {
  readonly seq: number
  readonly entry: WalEntry | undefined
}

/**
 * Turns the frames of consecutive segments into committed entries, checking every rule a
 * correct writer follows: seqs contiguous from the segment header's first seq, batch records
 * followed by a COMMIT that covers exactly them, nothing else in between. Used by recovery
 * (count only) and replay (materialize entries in a seq range).
 */
export class LogDecoder {
  /** Last committed seq (0 before any). */
  lastSeq = 0
  /** Committed entries seen. */
  entries = 0
  /** Offset, in the current segment, just past the last committed record. */
  committedEnd = SEGMENT_HEADER_BYTES
  /** Entries in [fromSeq, toSeq] committed since the last `take()`. */
  out: WalEntry[] = []

  #expectSeq: number | undefined
  #pending: PendingOp[] = []
  #pendingStart = -1
  readonly #materialize: boolean
  readonly #fromSeq: number
  readonly #toSeq: number
  readonly #floorSeq: number

  constructor(options: { materialize: boolean; fromSeq: number; toSeq: number; floorSeq: number }) {
    this.#materialize = options.materialize
    this.#fromSeq = options.fromSeq
    this.#toSeq = options.toSeq
    this.#floorSeq = options.floorSeq
  }

  /** True while batch records have been read without their COMMIT. */
  get hasPending(): boolean {
    return this.#pending.length > 0
  }

  /** Starts a segment whose header says its first seq is `firstSeq`. */
  beginSegment(firstSeq: number): Problem | undefined {
    this.committedEnd = SEGMENT_HEADER_BYTES
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
    this.skip()
  }

  /** Consumes one frame read at `offset` of the current segment. */
  frame(offset: number, payload: Uint8Array): Problem | undefined {
    const r = decodeRecord(payload)
    if (typeof r === 'string') return { offset, reason: r }
    const frameEnd = offset + FRAME_BYTES + payload.byteLength
    if (r.type === RECORD_COMMIT) {
      const pending = this.#pending
      const first = pending[0]
      if (first === undefined) return { offset, reason: 'COMMIT without a batch' }
      if (r.firstSeq !== first.seq || r.count !== pending.length) {
        return { offset, reason: `COMMIT covers ${r.count} from seq ${r.firstSeq}, batch has ${pending.length} from ${first.seq}` }
      }
      if (this.#materialize) for (const op of pending) if (op.entry !== undefined) this.out.push(op.entry)
      this.lastSeq = pending[pending.length - 1]!.seq
      this.entries += pending.length
      this.committedEnd = frameEnd
      this.#pending = []
      this.#pendingStart = -1
      return undefined
    }
    const seq = r.seq
    const expected = this.#expectSeq
    if (expected === undefined ? seq <= this.lastSeq : seq !== expected) {
      return { offset, reason: `seq ${seq} where ${expected ?? `a seq above ${this.lastSeq}`} was expected` }
    }
    if (!r.inBatch && this.#pending.length > 0) return { offset, reason: 'record inside an uncommitted batch' }
    let entry: WalEntry | undefined
    if (this.#materialize && seq >= this.#fromSeq && seq <= this.#toSeq) {
      const isTombstone = r.type === RECORD_DELETE
      entry = {
        seq,
        timestampMs: r.timestampMs,
        op: isTombstone ? 'delete' : 'put',
        key: copy(payload, r.keyStart, r.keyEnd),
        value: isTombstone ? null : copy(payload, r.valueStart, r.valueEnd),
        isTombstone,
      }
    }
    this.#expectSeq = seq + 1
    if (r.inBatch) {
      if (this.#pending.length === 0) this.#pendingStart = offset
      this.#pending.push({ seq, entry })
      return undefined
    }
    if (entry !== undefined) this.out.push(entry)
    this.lastSeq = seq
    this.entries++
    this.committedEnd = frameEnd
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

  #dropPending(): void {
    if (this.#pending.length > 0) {
      // The batch's seqs were never committed: the next record may reuse them (a crash cut the
      // batch and the writer continued from the last committed seq).
      this.#expectSeq = this.#pending[0]!.seq
    }
    this.#pending = []
    this.#pendingStart = -1
  }
}

function copy(payload: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start)
  out.set(payload.subarray(start, end))
  return out
}
