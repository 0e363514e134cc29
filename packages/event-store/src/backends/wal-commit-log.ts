import type { StoreState } from '@quire/durable'
import type { Wal } from '@quire/wal'
import {
  WalClosedError,
  WalPoisonedError,
  WalWriteError,
  WAL_MAX_BATCH_BYTES,
  WAL_MAX_BATCH_ENTRIES,
  WAL_MAX_VALUE_BYTES,
  type WalEntry,
  type WalOp,
} from '@quire/wal'
import type { CommitLog, CommitRecord, LoggedCommit } from '../commit-log.js'
import { AppendFailedError, AppendTooLargeError, ClosedError, EventStoreCorruptError, InvalidArgumentError } from '../errors.js'
import { REPLAY_ENCODED, type EncodedCommit, type EncodedReplay } from '../local/encoded-value.js'
import { CommitAssembler } from './commit-assembler.js'
import { decodeWalEntry, encodeWalCommit, WalEntryDecoder } from './wal-format.js'
import { asError, commitLogState } from './log-state.js'

/** Bytes a `put` frame adds besides its key and value (`@quire/wal` FORMAT.md: frame 8 + PUT header 26). */
const WAL_PUT_OVERHEAD_BYTES = 34
/** Bytes of a batch's COMMIT frame (`@quire/wal` FORMAT.md). */
const WAL_COMMIT_FRAME_BYTES = 22

/**
 * A {@link CommitLog} over `@quire/wal`: a commit is ONE `appendBatch` with one `put` per event,
 * so the WAL's COMMIT record makes it atomic, and a position is the WAL seq of the event's entry
 * (the log holds nothing else, so seqs and positions coincide). Concurrent commits share the
 * WAL's group commit: one write and one `fdatasync` for all that arrived meanwhile.
 *
 * Errors: a write the WAL rolled back (`WRITE_FAILED`, e.g. ENOSPC) is `APPEND_FAILED` with
 * the WAL error as `cause`, nothing written, and the log goes on (a rolled-back group leaves no
 * seq gap: the WAL gives its seqs again). A failed sync (`POISONED`) is `APPEND_FAILED` with
 * an unknown outcome, and poisons: later appends get `POISONED` until reopen.
 */
export class WalCommitLog implements CommitLog, EncodedReplay {
  readonly #wal: Wal
  readonly #state: StoreState

  /** Takes ownership of an open `wal`; `onClose` runs after the WAL closed (releases the store lock). */
  constructor(wal: Wal, onClose: () => Promise<void> = () => Promise.resolve()) {
    this.#wal = wal
    this.#state = commitLogState(() => wal.close(), onClose)
  }

  get lastPosition(): bigint {
    return BigInt(this.#wal.lastSeq)
  }

  get poisoned(): boolean {
    return this.#state.poison.poisoned
  }

  get poisonError(): Error | undefined {
    return this.#state.poison.error
  }

  /**
   * Appends one commit: durable (under `sync: 'always'`) and atomic once it resolves. Resolves in
   * call order.
   *
   * @throws `InvalidArgumentError` (empty commit, a value msgpack refuses), `AppendTooLargeError`
   *   (over the WAL's batch limits) — nothing written; `AppendFailedError`, `StorePoisonedError`,
   *   `ClosedError` as the {@link CommitLog} contract says.
   */
  append(commit: CommitRecord): Promise<{ readonly firstPosition: bigint }> {
    let ops: WalOp[]
    try {
      this.#state.assertWritable('append')
      ops = checkedOps(commit)
    } catch (err) {
      return Promise.reject(asError(err))
    }
    // Called synchronously, so the WAL accepts commits (and gives seqs) in call order.
    return this.#wal.appendBatch(ops).then(
      (entries) => {
        try {
          return { firstPosition: firstOfContiguous(entries, ops.length) }
        } catch (err) {
          this.#state.poison.poison(err)
          throw err
        }
      },
      (err: unknown) => {
        throw this.#failure(err)
      },
    )
  }

  #failure(err: unknown): Error {
    if (err instanceof WalWriteError) {
      return new AppendFailedError(`the write was rolled back${err.errno === undefined ? '' : ` (${err.errno})`}; nothing was appended`, { cause: err })
    }
    if (err instanceof WalClosedError) return new ClosedError()
    // A failed sync, a failed rollback, anything unexpected: the outcome is unknown.
    this.#state.poison.poison(err)
    const why = err instanceof WalPoisonedError ? 'a sync failed' : 'the log failed'
    return new AppendFailedError(`${why}; the outcome is unknown until the store is reopened`, { cause: err })
  }

  /**
   * Every committed commit in position order, from the one holding `fromPosition` (whole) on, up
   * to the last position acknowledged when the iteration started.
   *
   * @throws `EventStoreCorruptError` (a hole in positions, a torn commit, an entry this package
   *   did not write), `WalCorruptError` (`CORRUPT`) from the WAL, `ClosedError`.
   */
  replay(options: { readonly fromPosition?: bigint } = {}): AsyncGenerator<LoggedCommit, void, undefined> {
    return this.#replay(options.fromPosition, undefined)
  }

  /** The whole log for `LocalDriver.open`: events' `data` left encoded where it can be, ids as words (encoded-value.ts). */
  async *[REPLAY_ENCODED](): AsyncGenerator<EncodedCommit, void, undefined> {
    const decoder = new WalEntryDecoder({ encodedData: true })
    let words = new Uint32Array(0)
    for await (const commit of this.#replay(undefined, decoder, (k, n) => {
      if (k === 1) words = new Uint32Array(4 * n)
      words.set(decoder.idWords, 4 * (k - 1))
    })) {
      yield { firstPosition: commit.firstPosition, events: commit.events, idWords: words }
    }
  }

  async *#replay(
    fromPosition: bigint | undefined,
    encoded: WalEntryDecoder | undefined,
    onDecoded?: (k: number, n: number) => void,
  ): AsyncGenerator<LoggedCommit, void, undefined> {
    this.#state.assertOpen()
    const from = fromPosition ?? 1n
    if (from > this.lastPosition) return
    let fromSeq = from < 1n ? 1 : Number(from)
    // An entry in the middle of a commit: start again at the commit's first entry.
    const first = await this.#firstEntry(fromSeq)
    if (first === undefined) return
    const decoded = decodeWalEntry(first.seq, first.key, first.value)
    fromSeq = first.seq - decoded.k + 1
    if (fromSeq < 1) throw new EventStoreCorruptError(`WAL entry ${first.seq}: marked [${decoded.k}, ${decoded.n}] before position 1`)
    const assembler = new CommitAssembler(fromSeq, 'WAL')
    const decoder = encoded ?? new WalEntryDecoder()
    for await (const entry of this.#wal.replay({ fromSeq })) {
      const event = decoder.decode(entry.seq, entry.key, entry.value)
      onDecoded?.(decoder.k, decoder.n)
      const commit = assembler.push(entry.seq, decoder.k, decoder.n, event)
      if (commit !== undefined) yield commit
    }
    assembler.finish()
  }

  async #firstEntry(fromSeq: number): Promise<WalEntry | undefined> {
    for await (const entry of this.#wal.replay({ fromSeq })) {
      // The WAL replays from its floor when asked for less: a log truncated by hand is a hole.
      if (entry.seq !== fromSeq) throw new EventStoreCorruptError(`WAL: position ${fromSeq} is missing (the log starts at ${entry.seq})`)
      return entry
    }
    return undefined
  }

  /** Waits for appends in flight, closes the WAL, then runs `onClose`. Idempotent. */
  close(): Promise<void> {
    return this.#state.close()
  }
}

/** The commit's WAL operations, checked against the WAL's limits. */
function checkedOps(commit: CommitRecord): WalOp[] {
  const events = commit.events
  if (events.length === 0) throw new InvalidArgumentError('a commit must hold at least one event')
  if (events.length > WAL_MAX_BATCH_ENTRIES) throw new AppendTooLargeError('events', events.length, WAL_MAX_BATCH_ENTRIES)
  const ops = encodeWalCommit(events)
  let bytes = WAL_COMMIT_FRAME_BYTES
  for (const op of ops) {
    const valueBytes = op.op === 'put' ? op.value.byteLength : 0
    if (valueBytes > WAL_MAX_VALUE_BYTES) throw new AppendTooLargeError('event bytes', valueBytes, WAL_MAX_VALUE_BYTES)
    bytes += WAL_PUT_OVERHEAD_BYTES + op.key.byteLength + valueBytes
  }
  if (bytes > WAL_MAX_BATCH_BYTES) throw new AppendTooLargeError('append bytes', bytes, WAL_MAX_BATCH_BYTES)
  return ops
}

/** The first seq of a batch's entries, after checking they are consecutive. */
function firstOfContiguous(entries: readonly WalEntry[], count: number): bigint {
  const first = entries[0]
  if (entries.length !== count || first === undefined) {
    throw new EventStoreCorruptError(`WAL acknowledged ${entries.length} entries for a commit of ${count}`)
  }
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.seq !== first.seq + i) throw new EventStoreCorruptError(`WAL gave a commit non-consecutive seqs`)
  }
  return BigInt(first.seq)
}
