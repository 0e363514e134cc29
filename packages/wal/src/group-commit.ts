import { GroupCommit as CoreGroupCommit, type PendingRequest, type Poison, type QueueLimits } from '@quire/durable'
import { WalOverloadedError, WalWriteError } from './errors.js'
import {
  COMMIT_FRAME_BYTES,
  FLAG_IN_BATCH,
  encodeCommitFrame,
  encodeOpFrame,
  opFrameBytes,
  sealFrames,
} from './record.js'
import type { WalEntry, WalOp } from './types.js'

export type { QueueLimits } from '@quire/durable'

/** Where group commit sends sealed frames: the active segment, and rolling to a new one. */
export interface GroupWriter {
  /** Bytes the active segment can still take before it should roll (may be <= 0). */
  readonly room: number
  /** True while the active segment holds no record (it takes any group, however big). */
  readonly activeEmpty: boolean
  /**
   * Writes sealed frames holding seqs `[firstSeq, lastSeq]` at the end of the active segment and
   * resolves once they are acknowledged (durable under sync 'always'). Rejects with
   * `WalWriteError` when the write failed and was rolled back (nothing appended), or with
   * `WalPoisonedError` when the log can no longer be trusted. `requests` is how many callers'
   * requests the bytes hold (under `io: 'inline'`, one alone is written on the calling thread).
   */
  write(bytes: Uint8Array, firstSeq: number, lastSeq: number, requests: number): Promise<void>
  /** Makes a new, empty segment starting at `firstSeq` the active one (same rejections). */
  roll(firstSeq: number): Promise<void>
}

/** One caller's operation (or batch) waiting for the next group, or a roll (see `rollIfDead`). */
interface Request extends PendingRequest<never> {
  /** Frames of this request in the accumulating buffer: `[start, end)` (empty for a roll). */
  readonly start: number
  readonly end: number
  readonly ops: WalOp | readonly WalOp[] | RollRequest
  readonly timestampMs: number
}

/** A roll queued behind the operations accepted before it. */
interface RollRequest {
  /** Roll only when the active segment holds records and none above this seq. */
  readonly atOrBelow: number
}

const isRoll = (ops: Request['ops']): ops is RollRequest => 'atOrBelow' in ops

/** Initial size of each of the two group buffers; they grow on demand. */
const INITIAL_BUFFER_BYTES = 1024 * 1024
/** A buffer grown past this (by a huge batch) is dropped after use rather than kept for good. */
const KEEP_BUFFER_BYTES = 16 * 1024 * 1024

/**
 * Microtask turns the flush loop waits, once the queue is empty, for the callers it just resolved
 * to issue their next operations (the `microtask` scheduling policy of `@quire/durable`).
 */
const STRAGGLER_TURNS = 8

/**
 * The WAL's group commit: the queue, its limits, one group in flight and poisoning are the
 * durable core's `GroupCommit`; what stays here is the WAL's speed trick. Operations are encoded,
 * as they are accepted, into one buffer; while a write (and its sync) is in flight, everything
 * that arrives accumulates, and goes out as the next single write followed by a single sync. Seqs
 * are given in acceptance order when a group is sealed, so a group that fails and is rolled back
 * leaves no gap. A batch is one request: its records and COMMIT are contiguous and are never
 * split across writes or segments.
 *
 * Two buffers alternate: one is being written while the other accumulates.
 */
export class GroupCommit {
  #acc: Uint8Array = new Uint8Array(INITIAL_BUFFER_BYTES)
  #accView = new DataView(this.#acc.buffer)
  #accLength = 0
  #spare: Uint8Array = new Uint8Array(INITIAL_BUFFER_BYTES)
  #lastSeq: number
  readonly #writer: GroupWriter
  readonly #core: CoreGroupCommit<Request>

  constructor(writer: GroupWriter, lastSeq: number, limits: QueueLimits, poison: Poison) {
    this.#writer = writer
    this.#lastSeq = lastSeq
    this.#core = new CoreGroupCommit<Request>({
      limits: { maxQueuedOperations: limits.maxQueuedOperations, maxQueuedBytes: limits.maxQueuedBytes },
      poison,
      overloaded: (d) => new WalOverloadedError(d.limit, d.max, d.queuedOperations, d.queuedBytes),
      scheduling: { kind: 'microtask', stragglerTurns: STRAGGLER_TURNS },
      flush: (group) => this.#flush(group),
      // What accumulated belongs to the requests just rejected.
      onPoison: () => void (this.#accLength = 0),
    })
  }

  /** Requests accepted and not yet settled, and their encoded bytes. */
  get queued(): { readonly operations: number; readonly bytes: number } {
    return this.#core.queued
  }

  /** Last acknowledged seq. */
  get lastSeq(): number {
    return this.#lastSeq
  }

  /** The poison error once the log is poisoned. */
  get poisoned(): Error | undefined {
    return this.#core.poison.error
  }

  /** Queues one (validated) operation; resolves with its entry once acknowledged. */
  append(op: WalOp, timestampMs: number): Promise<WalEntry> {
    const bytes = opFrameBytes(op)
    const refused = this.#core.admit(bytes)
    if (refused !== undefined) return Promise.reject(refused)
    const start = this.#accLength
    this.#reserve(bytes)
    this.#accLength = encodeOpFrame(this.#acc, this.#accView, start, op, timestampMs, 0)
    return this.#enqueue<WalEntry>(start, op, timestampMs, bytes)
  }

  /** Queues a (validated, non-empty) batch: records + COMMIT, all or nothing. */
  appendBatch(ops: readonly WalOp[], timestampMs: number, bytes: number): Promise<WalEntry[]> {
    const refused = this.#core.admit(bytes + COMMIT_FRAME_BYTES)
    if (refused !== undefined) return Promise.reject(refused)
    const start = this.#accLength
    this.#reserve(bytes + COMMIT_FRAME_BYTES)
    let pos = start
    for (const op of ops) pos = encodeOpFrame(this.#acc, this.#accView, pos, op, timestampMs, FLAG_IN_BATCH)
    this.#accLength = encodeCommitFrame(this.#accView, this.#acc, pos, ops.length)
    return this.#enqueue<WalEntry[]>(start, ops, timestampMs, bytes + COMMIT_FRAME_BYTES)
  }

  /**
   * Rolls to a new, empty segment, in order with the appends accepted before (it waits for them),
   * when the active segment holds records and every one is at or below `seq`: `truncateBefore`
   * then removes that segment whole, and the next open reads none of its dead bytes. Resolves
   * with whether it rolled (not when the queue is full); rejects as a write does (`WalWriteError`:
   * no roll; or poisoned).
   */
  rollIfDead(seq: number): Promise<boolean> {
    // A full queue (or a poisoned log, which the caller reports) skips the roll: it only saves reading.
    if (this.#core.admit(0) !== undefined) return Promise.resolve(false)
    const start = this.#accLength
    return new Promise<boolean>((resolve, reject) => {
      this.#core.enqueue({ start, end: start, ops: { atOrBelow: seq }, timestampMs: 0, bytes: 0, resolve: resolve, reject, settled: false })
    })
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    return this.#core.drain()
  }

  #enqueue<T>(start: number, ops: WalOp | readonly WalOp[], timestampMs: number, bytes: number): Promise<T> {
    const end = this.#accLength
    return new Promise<T>((resolve, reject) => {
      this.#core.enqueue({ start, end, ops, timestampMs, bytes, resolve, reject, settled: false })
    })
  }

  #reserve(bytes: number): void {
    const needed = this.#accLength + bytes
    if (needed <= this.#acc.byteLength) return
    const grown = new Uint8Array(Math.max(needed, this.#acc.byteLength * 2))
    grown.set(this.#acc.subarray(0, this.#accLength))
    this.#acc = grown
    this.#accView = new DataView(grown.buffer)
  }

  /** One group: the whole queue, whose frames are the accumulating buffer; swap buffers and write. */
  async #flush(group: Request[]): Promise<void> {
    const buf = this.#acc
    const view = this.#accView
    this.#acc = this.#spare.byteLength <= KEEP_BUFFER_BYTES ? this.#spare : new Uint8Array(INITIAL_BUFFER_BYTES)
    this.#accView = new DataView(this.#acc.buffer)
    this.#accLength = 0
    await this.#writeGroup(group, buf, view)
    this.#spare = buf
  }

  /**
   * Writes the requests of one group, in as few writes as the segment size allows. A write that
   * failed and was rolled back rejects its requests, and later ones get their own attempt; any
   * other failure is thrown, and the core poisons the log with it.
   */
  async #writeGroup(queue: Request[], buf: Uint8Array, view: DataView): Promise<void> {
    const writer = this.#writer
    const core = this.#core
    let i = 0
    while (i < queue.length) {
      const first = queue[i]!
      if (isRoll(first.ops)) {
        try {
          const roll = !writer.activeEmpty && this.#lastSeq <= first.ops.atOrBelow
          if (roll) await writer.roll(this.#lastSeq + 1)
          core.resolve(first, roll as never)
        } catch (err) {
          if (!(err instanceof WalWriteError)) throw err
          core.reject(first, err)
        }
        i++
        continue
      }
      // The requests from i that fit the active segment (at least one if the segment is empty),
      // up to a roll.
      const room = writer.room
      let j = i
      while (j < queue.length && !isRoll(queue[j]!.ops) && (queue[j]!.end - first.start <= room || (j === i && writer.activeEmpty))) j++
      try {
        if (j === i) {
          await writer.roll(this.#lastSeq + 1)
          continue
        }
        const end = queue[j - 1]!.end
        const firstSeq = this.#lastSeq + 1
        const lastSeq = sealFrames(buf, view, first.start, end, firstSeq)
        await writer.write(buf.subarray(first.start, end), firstSeq, lastSeq, j - i)
        this.#lastSeq = lastSeq
        settle(core, queue, i, j, firstSeq)
        i = j
      } catch (err) {
        if (!(err instanceof WalWriteError)) throw err
        // Rolled back: these requests are not in the log; later ones get their own attempt.
        const failedEnd = j === i ? queue.length : j
        for (let k = i; k < failedEnd; k++) core.reject(queue[k]!, err)
        i = failedEnd
      }
    }
  }
}

/** Resolves requests `[i, j)` with their entries, seqs counting from `firstSeq`. */
function settle(core: CoreGroupCommit<Request>, queue: Request[], i: number, j: number, firstSeq: number): void {
  let seq = firstSeq
  for (let k = i; k < j; k++) {
    const r = queue[k]!
    const ops = r.ops as WalOp | readonly WalOp[]
    if (Array.isArray(ops)) {
      const entries: WalEntry[] = []
      for (const op of ops as readonly WalOp[]) entries.push(toEntry(op, seq++, r.timestampMs))
      core.resolve(r, entries as never)
    } else {
      core.resolve(r, toEntry(ops as WalOp, seq++, r.timestampMs) as never)
    }
  }
}

function toEntry(op: WalOp, seq: number, timestampMs: number): WalEntry {
  const isTombstone = op.op === 'delete'
  return { seq, timestampMs, op: op.op, key: op.key, value: isTombstone ? null : op.value, isTombstone }
}
