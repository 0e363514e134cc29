import { randomUUID } from 'node:crypto'
import type { StoreState } from '@quire/durable'
import type { RecordKeeper } from '@quire/fs-record-keeper'
import type { CommitLog, CommitRecord, LoggedCommit } from '../commit-log.js'
import { AppendFailedError, AppendTooLargeError, ClosedError, EventStoreCorruptError, InvalidArgumentError } from '../errors.js'
import { decodeRecordKeeperCommit, encodeRecordKeeperCommit, type RecordKeeperCommit } from './record-keeper-format.js'
import { asError, commitLogState } from './log-state.js'

/** Default largest commit record, as JSON bytes (the same bound as the WAL's batch). */
export const RECORD_KEEPER_DEFAULT_MAX_COMMIT_BYTES = 32 * 1024 * 1024

/** Most events in one commit (the same bound as the WAL's and the NDJSON log's batches). */
export const RECORD_KEEPER_MAX_COMMIT_EVENTS = 10_000

/** Bytes the record keeper's event file adds around a record's JSON (its header, `next`, CRC), generously. */
export const RECORD_KEEPER_FILE_OVERHEAD_BYTES = 4096

/**
 * A {@link CommitLog} over `@quire/fs-record-keeper`: a commit is ONE `add` of a single record
 * `{ id: <commit uuid>, firstPosition, events }` — one file, the record keeper's only atomic
 * unit (its groups are formed from concurrent adds, so several adds are not atomic together).
 * The record keeper has no sequence numbers: this class gives positions, in call order, and
 * replay checks that they run on with no hole. That is sound only because any failed write
 * poisons: no commit can be acknowledged after one that failed, so a failed commit's positions
 * are never skipped over. After a crash the last, unacknowledged group of adds may survive —
 * whole, as complete commits with the positions they were given.
 *
 * Errors: every failed `add` (ENOSPC, EIO, a failed sync) is `APPEND_FAILED` (outcome unknown)
 * and poisons: later appends get `POISONED` until reopen.
 */
export class RecordKeeperCommitLog implements CommitLog {
  readonly #rk: RecordKeeper
  readonly #state: StoreState
  readonly #maxCommitBytes: number
  /** First position of the next commit to be issued (appends in flight count). */
  #next: bigint
  /** Last acknowledged position. */
  #last: bigint
  /**
   * Where each commit starts, from position 1 on (filled by a full replay and by later acks):
   * `replay({ fromPosition })` walks from the right commit instead of from the first.
   */
  readonly #firsts: number[] = []
  readonly #ids: string[] = []
  #indexEnd = 0n

  private constructor(rk: RecordKeeper, last: bigint, maxCommitBytes: number, onClose: () => Promise<void>) {
    this.#rk = rk
    this.#last = last
    this.#next = last + 1n
    this.#maxCommitBytes = maxCommitBytes
    this.#state = commitLogState(() => rk.close(), onClose)
  }

  /**
   * Wraps an open record keeper, reading its last commit to learn the last position.
   *
   * @throws `EventStoreCorruptError` when the last record is not a commit.
   */
  static async open(
    rk: RecordKeeper,
    options: { readonly maxCommitBytes?: number; readonly onClose?: () => Promise<void> } = {},
  ): Promise<RecordKeeperCommitLog> {
    const tail = await rk.tail()
    let last = 0n
    if (tail !== null) {
      const commit = decodeRecordKeeperCommit(await rk.read(tail))
      last = commit.firstPosition + BigInt(commit.events.length) - 1n
    }
    const maxCommitBytes = options.maxCommitBytes ?? RECORD_KEEPER_DEFAULT_MAX_COMMIT_BYTES
    return new RecordKeeperCommitLog(rk, last, maxCommitBytes, options.onClose ?? (() => Promise.resolve()))
  }

  get lastPosition(): bigint {
    return this.#last
  }

  get poisoned(): boolean {
    return this.#state.poison.poisoned
  }

  get poisonError(): Error | undefined {
    return this.#state.poison.error
  }

  /**
   * Appends one commit: durable and atomic once it resolves. Resolves in call order.
   *
   * @throws `InvalidArgumentError` (empty commit, a value JSON cannot keep), `AppendTooLargeError`
   *   (over `maxCommitBytes` or {@link RECORD_KEEPER_MAX_COMMIT_EVENTS}) — nothing written, no position used; `AppendFailedError`,
   *   `StorePoisonedError`, `ClosedError` as the {@link CommitLog} contract says.
   */
  append(commit: CommitRecord): Promise<{ readonly firstPosition: bigint }> {
    const firstPosition = this.#next
    let record: RecordKeeperCommit
    try {
      this.#state.assertWritable('append')
      if (commit.events.length === 0) throw new InvalidArgumentError('a commit must hold at least one event')
      if (commit.events.length > RECORD_KEEPER_MAX_COMMIT_EVENTS) {
        throw new AppendTooLargeError('events', commit.events.length, RECORD_KEEPER_MAX_COMMIT_EVENTS)
      }
      const encoded = encodeRecordKeeperCommit(randomUUID(), firstPosition, commit.events)
      if (encoded.jsonBytes > this.#maxCommitBytes) throw new AppendTooLargeError('append bytes', encoded.jsonBytes, this.#maxCommitBytes)
      record = encoded.record
    } catch (err) {
      return Promise.reject(asError(err))
    }
    // Only now, with nothing left that could refuse it, does the commit take its positions.
    const end = firstPosition + BigInt(record.events.length) - 1n
    this.#next = end + 1n
    return this.#rk.add(record).then(
      () => {
        this.#last = end
        this.#index(record.id, record.firstPosition, end)
        return { firstPosition }
      },
      (err: unknown) => {
        if ((err as { code?: unknown }).code === 'CLOSED') throw new ClosedError()
        // Whatever failed, later positions must not be acknowledged past this commit's.
        this.#state.poison.poison(err)
        const errno = ((err as { cause?: { code?: unknown } }).cause)?.code
        throw new AppendFailedError(
          `the record keeper failed${typeof errno === 'string' ? ` (${errno})` : ''}; the outcome is unknown until the store is reopened`,
          { cause: err },
        )
      },
    )
  }

  #index(id: string, first: number, end: bigint): void {
    if (BigInt(first) !== this.#indexEnd + 1n) return
    this.#firsts.push(first)
    this.#ids.push(id)
    this.#indexEnd = end
  }

  /**
   * Every committed commit in position order, from the one holding `fromPosition` (whole) on,
   * including any acknowledged while the walk runs.
   *
   * @throws `EventStoreCorruptError` (a hole in positions, a record that is not a commit), the
   *   record keeper's `CORRUPT`, `ClosedError`.
   */
  async *replay(options: { readonly fromPosition?: bigint } = {}): AsyncGenerator<LoggedCommit, void, undefined> {
    this.#state.assertOpen()
    let from = options.fromPosition ?? 1n
    if (from < 1n) from = 1n
    if (from > this.#last) return
    let after: string | undefined
    let expected = 1n
    if (from <= this.#indexEnd) {
      const i = lastAtOrBelow(this.#firsts, Number(from))
      after = this.#ids[i - 1]
      expected = BigInt(this.#firsts[i]!)
    } else if (this.#ids.length > 0) {
      after = this.#ids[this.#ids.length - 1]
      expected = this.#indexEnd + 1n
    }
    for await (const raw of this.#rk.events(after === undefined ? {} : { after })) {
      const commit = decodeRecordKeeperCommit(raw)
      if (commit.firstPosition !== expected) {
        throw new EventStoreCorruptError(`record keeper: commit ${commit.id} starts at position ${commit.firstPosition}, expected ${expected}`)
      }
      const end = commit.firstPosition + BigInt(commit.events.length) - 1n
      this.#index(commit.id, Number(commit.firstPosition), end)
      expected = end + 1n
      if (end >= from) yield { firstPosition: commit.firstPosition, events: commit.events }
    }
  }

  /** Waits for adds in flight, closes the record keeper, then runs `onClose`. Idempotent. */
  close(): Promise<void> {
    return this.#state.close()
  }
}

/** Index of the last element `<= value` in an ascending array whose first element is `<= value`. */
function lastAtOrBelow(sorted: readonly number[], value: number): number {
  let lo = 0
  let hi = sorted.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (sorted[mid]! <= value) lo = mid
    else hi = mid - 1
  }
  return lo
}
