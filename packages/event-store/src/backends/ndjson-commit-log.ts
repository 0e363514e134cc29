import type { StoreState } from '@quire/durable'
import type { NdjsonLog } from '@quire/ndjson-log'
import {
  ClosedError as NdjsonClosedError,
  DEFAULT_MAX_BATCH_RECORDS,
  InvalidRecordError,
  WriteFailedError,
} from '@quire/ndjson-log'
import type { CommitLog, CommitRecord, LoggedCommit } from '../commit-log.js'
import { AppendFailedError, AppendTooLargeError, ClosedError, InvalidArgumentError } from '../errors.js'
import { CommitAssembler } from './commit-assembler.js'
import { decodeNdjsonRecord, encodeNdjsonCommit, type NdjsonEventRecord } from './ndjson-format.js'
import { asError, commitLogState } from './log-state.js'

/** Most events in one commit: the NDJSON log's `maxBatchRecords`. */
export const NDJSON_MAX_COMMIT_EVENTS = DEFAULT_MAX_BATCH_RECORDS

/**
 * A {@link CommitLog} over `@quire/ndjson-log`: a commit is ONE `appendBatch` of records (one per
 * event), whose last line is the batch's commit boundary, so it is atomic; a position is the
 * record's `seq`. Concurrent commits share the log's group commit.
 *
 * Errors: a write the log rolled back (`WRITE_FAILED`, e.g. ENOSPC) is `APPEND_FAILED` with the
 * log's error as `cause`, nothing written, and the log goes on (no seq gap). A failed sync
 * (`POISONED` below) is `APPEND_FAILED` with an unknown outcome, and poisons this log: later
 * appends get `POISONED` until reopen.
 */
export class NdjsonCommitLog implements CommitLog {
  readonly #log: NdjsonLog<NdjsonEventRecord>
  readonly #state: StoreState

  /** Takes ownership of an open `log`; `onClose` runs after it closed. */
  constructor(log: NdjsonLog<NdjsonEventRecord>, onClose: () => Promise<void> = () => Promise.resolve()) {
    this.#log = log
    this.#state = commitLogState(() => log.close(), onClose)
  }

  get lastPosition(): bigint {
    return BigInt(this.#log.lastSeq)
  }

  get poisoned(): boolean {
    return this.#state.poison.poisoned || this.#log.poisoned
  }

  get poisonError(): Error | undefined {
    return this.#state.poison.error
  }

  /**
   * Appends one commit: durable (under `sync: 'always'`) and atomic once it resolves. Resolves in
   * call order.
   *
   * @throws `InvalidArgumentError` (empty commit, a record JSON cannot keep),
   *   `AppendTooLargeError` (more events than `maxBatchRecords`) — nothing written;
   *   `AppendFailedError`, `StorePoisonedError`, `ClosedError` as the {@link CommitLog} contract says.
   */
  append(commit: CommitRecord): Promise<{ readonly firstPosition: bigint }> {
    let records: NdjsonEventRecord[]
    try {
      this.#state.assertWritable('append')
      if (this.#log.poisoned) throw this.#state.poison.poison(new Error('the NDJSON log is poisoned'))
      const events = commit.events
      if (events.length === 0) throw new InvalidArgumentError('a commit must hold at least one event')
      if (events.length > NDJSON_MAX_COMMIT_EVENTS) throw new AppendTooLargeError('events', events.length, NDJSON_MAX_COMMIT_EVENTS)
      records = encodeNdjsonCommit(events)
    } catch (err) {
      return Promise.reject(asError(err))
    }
    // appendBatch validates and submits before its first await: commits are queued in call order.
    return this.#log.appendBatch(records).then(
      (entries) => ({ firstPosition: BigInt(entries[0]!.seq) }),
      (err: unknown) => {
        throw this.#failure(err)
      },
    )
  }

  #failure(err: unknown): Error {
    if (err instanceof WriteFailedError) {
      const errno = (err.cause as { code?: unknown } | undefined)?.code
      return new AppendFailedError(`the write was rolled back${typeof errno === 'string' ? ` (${errno})` : ''}; nothing was appended`, { cause: err })
    }
    if (err instanceof InvalidRecordError) return new InvalidArgumentError(`an event JSON cannot keep: ${err.message}`, { cause: err })
    if (err instanceof NdjsonClosedError) return new ClosedError()
    this.#state.poison.poison(err)
    return new AppendFailedError('a sync failed; the outcome is unknown until the store is reopened', { cause: err })
  }

  /**
   * Every committed commit in position order, from the one holding `fromPosition` (whole) on, up
   * to the last position acknowledged when the iteration started.
   *
   * @throws `EventStoreCorruptError`, `NdjsonCorruptError` (`CORRUPT`), `ClosedError`.
   */
  async *replay(options: { readonly fromPosition?: bigint } = {}): AsyncGenerator<LoggedCommit, void, undefined> {
    this.#state.assertOpen()
    const from = options.fromPosition ?? 1n
    if (from > this.lastPosition) return
    let fromSeq = from < 1n ? 1 : Number(from)
    // A record in the middle of a commit: start again at the commit's first record.
    for await (const entry of this.#log.read({ fromSeq })) {
      fromSeq = entry.seq - decodeNdjsonRecord(entry.seq, entry.record).k + 1
      break
    }
    const assembler = new CommitAssembler(fromSeq, 'NDJSON log')
    for await (const entry of this.#log.read({ fromSeq: Math.max(1, fromSeq) })) {
      const { k, n, event } = decodeNdjsonRecord(entry.seq, entry.record)
      const commit = assembler.push(entry.seq, k, n, event)
      if (commit !== undefined) yield commit
    }
    assembler.finish()
  }

  /** Waits for appends in flight, closes the log, then runs `onClose`. Idempotent. */
  close(): Promise<void> {
    return this.#state.close()
  }
}
