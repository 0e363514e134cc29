import { WalOverloadedError, WalPoisonedError, WalWriteError } from './errors.js'
import {
  COMMIT_FRAME_BYTES,
  FLAG_IN_BATCH,
  encodeCommitFrame,
  encodeOpFrame,
  opFrameBytes,
  sealFrames,
} from './record.js'
import type { WalEntry, WalOp } from './types.js'

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
   * `WalPoisonedError` when the log can no longer be trusted.
   */
  write(bytes: Uint8Array, firstSeq: number, lastSeq: number): Promise<void>
  /** Makes a new, empty segment starting at `firstSeq` the active one (same rejections). */
  roll(firstSeq: number): Promise<void>
}

/** The bounds on what may wait in memory for the disk (options `maxQueued*` of `Wal.open`). */
export interface QueueLimits {
  readonly maxQueuedOperations: number
  readonly maxQueuedBytes: number
}

/** One caller's operation (or batch) waiting for the next group. */
interface Request {
  /** Frames of this request in the accumulating buffer: `[start, end)`. */
  readonly start: number
  readonly end: number
  readonly ops: WalOp | readonly WalOp[]
  readonly timestampMs: number
  /** Bytes this request counts against `maxQueuedBytes` (its encoded frames). */
  readonly bytes: number
  readonly resolve: (value: never) => void
  readonly reject: (reason: unknown) => void
}

/** Initial size of each of the two group buffers; they grow on demand. */
const INITIAL_BUFFER_BYTES = 1024 * 1024
/** A buffer grown past this (by a huge batch) is dropped after use rather than kept for good. */
const KEEP_BUFFER_BYTES = 16 * 1024 * 1024

/**
 * Microtask turns the flush loop waits, once the queue is empty, for the callers it just resolved
 * to issue their next operations (an `await` chain takes a few turns). Cheaper than a macrotask
 * (`setImmediate`), which costs a whole event-loop turn per group for a single writer.
 */
const STRAGGLER_TURNS = 8

/**
 * Group commit. Operations are encoded, as they are accepted, into one buffer; while a write (and
 * its sync) is in flight, everything that arrives accumulates, and goes out as the next single
 * write followed by a single sync. Seqs are given in acceptance order when a group is sealed,
 * so a group that fails and is rolled back leaves no gap. A batch is one request: its records
 * and COMMIT are contiguous and are never split across writes or segments.
 *
 * Two buffers alternate: one is being written while the other accumulates.
 */
export class GroupCommit {
  #acc: Uint8Array = new Uint8Array(INITIAL_BUFFER_BYTES)
  #accView = new DataView(this.#acc.buffer)
  #accLength = 0
  #spare: Uint8Array = new Uint8Array(INITIAL_BUFFER_BYTES)
  #queue: Request[] = []
  #running = false
  #idleWaiters: (() => void)[] = []
  #poisoned: WalPoisonedError | undefined
  #lastSeq: number
  readonly #writer: GroupWriter
  readonly #limits: QueueLimits
  /** Requests accepted and not yet settled (queued or in the group being written). */
  #queuedOps = 0
  /** Their encoded bytes. */
  #queuedBytes = 0

  constructor(writer: GroupWriter, lastSeq: number, limits: QueueLimits) {
    this.#writer = writer
    this.#lastSeq = lastSeq
    this.#limits = limits
  }

  /** Requests accepted and not yet settled, and their encoded bytes. */
  get queued(): { readonly operations: number; readonly bytes: number } {
    return { operations: this.#queuedOps, bytes: this.#queuedBytes }
  }

  /** Last acknowledged seq. */
  get lastSeq(): number {
    return this.#lastSeq
  }

  get poisoned(): WalPoisonedError | undefined {
    return this.#poisoned
  }

  /** Queues one (validated) operation; resolves with its entry once acknowledged. */
  append(op: WalOp, timestampMs: number): Promise<WalEntry> {
    if (this.#poisoned !== undefined) return Promise.reject(this.#poisoned)
    const bytes = opFrameBytes(op)
    const refused = this.#admit(bytes)
    if (refused !== undefined) return Promise.reject(refused)
    const start = this.#accLength
    this.#reserve(bytes)
    this.#accLength = encodeOpFrame(this.#acc, this.#accView, start, op, timestampMs, 0)
    return this.#enqueue<WalEntry>(start, op, timestampMs, bytes)
  }

  /** Queues a (validated, non-empty) batch: records + COMMIT, all or nothing. */
  appendBatch(ops: readonly WalOp[], timestampMs: number, bytes: number): Promise<WalEntry[]> {
    if (this.#poisoned !== undefined) return Promise.reject(this.#poisoned)
    const refused = this.#admit(bytes + COMMIT_FRAME_BYTES)
    if (refused !== undefined) return Promise.reject(refused)
    const start = this.#accLength
    this.#reserve(bytes + COMMIT_FRAME_BYTES)
    let pos = start
    for (const op of ops) pos = encodeOpFrame(this.#acc, this.#accView, pos, op, timestampMs, FLAG_IN_BATCH)
    this.#accLength = encodeCommitFrame(this.#accView, this.#acc, pos, ops.length)
    return this.#enqueue<WalEntry[]>(start, ops, timestampMs, bytes + COMMIT_FRAME_BYTES)
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Rejects everything queued and every later operation with `err`. */
  poison(err: WalPoisonedError): void {
    if (this.#poisoned === undefined) this.#poisoned = err
    const queue = this.#queue
    this.#queue = []
    this.#accLength = 0
    for (const r of queue) this.#reject(r, this.#poisoned)
  }

  /**
   * Takes room for a request of `bytes`, or returns the refusal when the queue is full: once
   * `maxQueuedBytes` wait, whatever this request's size. So at most `maxQueuedBytes` plus one
   * request (at most `WAL_MAX_BATCH_BYTES`) wait, and a request bigger than the limit still goes
   * through an idle log: the limit bounds what piles up behind a slow disk, not one operation.
   */
  #admit(bytes: number): WalOverloadedError | undefined {
    const { maxQueuedOperations, maxQueuedBytes } = this.#limits
    if (this.#queuedOps >= maxQueuedOperations) {
      return new WalOverloadedError('maxQueuedOperations', maxQueuedOperations, this.#queuedOps, this.#queuedBytes)
    }
    if (this.#queuedBytes >= maxQueuedBytes) {
      return new WalOverloadedError('maxQueuedBytes', maxQueuedBytes, this.#queuedOps, this.#queuedBytes)
    }
    this.#queuedOps++
    this.#queuedBytes += bytes
    return undefined
  }

  #settled(r: Request): void {
    this.#queuedOps--
    this.#queuedBytes -= r.bytes
  }

  #reject(r: Request, err: unknown): void {
    this.#settled(r)
    r.reject(err)
  }

  #enqueue<T>(start: number, ops: WalOp | readonly WalOp[], timestampMs: number, bytes: number): Promise<T> {
    const end = this.#accLength
    const promise = new Promise<T>((resolve, reject) => {
      this.#queue.push({ start, end, ops, timestampMs, bytes, resolve: resolve, reject })
    })
    if (!this.#running) {
      this.#running = true
      // Start on a microtask: operations issued in the same tick join the first group.
      queueMicrotask(() => void this.#run())
    }
    return promise
  }

  #reserve(bytes: number): void {
    const needed = this.#accLength + bytes
    if (needed <= this.#acc.byteLength) return
    const grown = new Uint8Array(Math.max(needed, this.#acc.byteLength * 2))
    grown.set(this.#acc.subarray(0, this.#accLength))
    this.#acc = grown
    this.#accView = new DataView(grown.buffer)
  }

  async #run(): Promise<void> {
    try {
      for (;;) {
        for (let turn = 0; turn < STRAGGLER_TURNS && this.#queue.length === 0; turn++) await Promise.resolve()
        if (this.#queue.length === 0) break
        if (this.#poisoned !== undefined) {
          this.poison(this.#poisoned)
          break
        }
        const queue = this.#queue
        const buf = this.#acc
        const view = this.#accView
        this.#queue = []
        this.#acc = this.#spare.byteLength <= KEEP_BUFFER_BYTES ? this.#spare : new Uint8Array(INITIAL_BUFFER_BYTES)
        this.#accView = new DataView(this.#acc.buffer)
        this.#accLength = 0
        await this.#writeGroup(queue, buf, view)
        this.#spare = buf
      }
    } finally {
      this.#running = false
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of waiters) w()
    }
  }

  /** Writes the requests of one group, in as few writes as the segment size allows. */
  async #writeGroup(queue: Request[], buf: Uint8Array, view: DataView): Promise<void> {
    const writer = this.#writer
    let i = 0
    while (i < queue.length) {
      // The requests from i that fit the active segment (at least one if the segment is empty).
      const room = writer.room
      const first = queue[i]!
      let j = i
      while (j < queue.length && (queue[j]!.end - first.start <= room || (j === i && writer.activeEmpty))) j++
      try {
        if (j === i) {
          await writer.roll(this.#lastSeq + 1)
          continue
        }
        const end = queue[j - 1]!.end
        const firstSeq = this.#lastSeq + 1
        const lastSeq = sealFrames(buf, view, first.start, end, firstSeq)
        await writer.write(buf.subarray(first.start, end), firstSeq, lastSeq)
        this.#lastSeq = lastSeq
        for (let k = i; k < j; k++) this.#settled(queue[k]!)
        settle(queue, i, j, firstSeq)
        i = j
      } catch (err) {
        if (err instanceof WalWriteError) {
          // Rolled back: these requests are not in the log; later ones get their own attempt.
          const failedEnd = j === i ? queue.length : j
          for (let k = i; k < failedEnd; k++) this.#reject(queue[k]!, err)
          i = failedEnd
          continue
        }
        // A failed sync, a failed rollback, or anything unexpected: stop trusting the log.
        const poisoned = err instanceof WalPoisonedError ? err : new WalPoisonedError(err)
        for (let k = i; k < queue.length; k++) this.#reject(queue[k]!, poisoned)
        this.poison(poisoned)
        return
      }
    }
  }
}

/** Resolves requests `[i, j)` with their entries, seqs counting from `firstSeq`. */
function settle(queue: Request[], i: number, j: number, firstSeq: number): void {
  let seq = firstSeq
  for (let k = i; k < j; k++) {
    const r = queue[k]!
    const ops = r.ops
    if (Array.isArray(ops)) {
      const entries: WalEntry[] = []
      for (const op of ops as readonly WalOp[]) entries.push(toEntry(op, seq++, r.timestampMs))
      r.resolve(entries as never)
    } else {
      r.resolve(toEntry(ops as WalOp, seq++, r.timestampMs) as never)
    }
  }
}

function toEntry(op: WalOp, seq: number, timestampMs: number): WalEntry {
  const isTombstone = op.op === 'delete'
  return { seq, timestampMs, op: op.op, key: op.key, value: isTombstone ? null : op.value, isTombstone }
}
