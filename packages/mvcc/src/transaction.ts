import { InvalidValueError, msgpackCodec } from '@quire/codec'
import type { MvccEngine } from './engine.js'
import {
  ClosedError,
  InvalidArgumentError,
  ReadOnlyError,
  TransactionClosedError,
  TransactionTimeoutError,
} from './errors.js'
import { compareKeys, inRange, scanRange, validateKey, type KeyRange, type ScanOptions } from './keys.js'
import { MAX_TX_BYTES, MAX_TX_WRITES, MAX_VALUE_BYTES, SCAN_CHUNK_KEYS, WRITE_OVERHEAD_BYTES } from './limits.js'
import { SCAN_OPTION_KEYS } from './option-keys.js'
import { visibleIn } from './versions.js'


type TxState = 'open' | 'committing' | 'committed' | 'aborted' | 'timed-out' | 'store-closed'

/**
 * A transaction. Its snapshot is taken at `begin()`: it reads the state committed (and durable)
 * before it began, plus its own writes, no matter when its first read happens.
 */
export class Transaction {
  /** Timestamp of the snapshot this transaction reads. */
  readonly snapshotTs: number
  readonly readOnly: boolean
  /** @internal */
  readonly id: number
  /** @internal */
  readonly startedMs: number
  private readonly engine: MvccEngine
  private readonly writes = new Map<string, Uint8Array | undefined>()
  /** Bytes the staged writes will take in the commit's WAL batch (keys, values, overhead). */
  private stagedBytes = 0
  private readonly readKeys: Set<string> | undefined
  private readonly ranges: KeyRange[] | undefined
  private state: TxState = 'open'

  /** @internal use `MvccStore.begin()` */
  constructor(engine: MvccEngine, id: number, snapshotTs: number, readOnly: boolean, startedMs: number) {
    this.engine = engine
    this.id = id
    this.snapshotTs = snapshotTs
    this.readOnly = readOnly
    this.startedMs = startedMs
    if (engine.isolation === 'serializable' && !readOnly) {
      this.readKeys = new Set()
      this.ranges = []
    }
  }

  /** True when the store ended the transaction (its timeout, or the store's close), not its owner. */
  get endedByStore(): boolean {
    return this.state === 'timed-out' || this.state === 'store-closed'
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  /** The value of `key` in this transaction's snapshot plus its own writes, or undefined. */
  get(key: string): Promise<unknown> {
    // Not async (an async function costs an object more per call); bad input still rejects.
    try {
      this.assertOpen()
      validateKey(key)
      return Promise.resolve(this.read(key))
    } catch (error) {
      return rejected(error)
    }
  }

  /** Writes `key` (any msgpack-encodable value; `undefined` is rejected, use `delete`). */
  put(key: string, value: unknown): Promise<void> {
    try {
      this.assertWritable()
      validateKey(key)
      this.stage(key, encodeValue(value))
      return RESOLVED
    } catch (error) {
      return rejected(error)
    }
  }

  /** Deletes `key` (a no-op when it does not exist, but still a write for conflict detection). */
  delete(key: string): Promise<void> {
    try {
      this.assertWritable()
      validateKey(key)
      this.stage(key, undefined)
      return RESOLVED
    } catch (error) {
      return rejected(error)
    }
  }

  /**
   * Iterates `[key, value]` in UTF-8 byte order (descending with `reverse`) over this
   * transaction's snapshot merged with its own writes made before the scan started.
   * Under serializable isolation what the scan read counts as read: the whole requested range
   * when it ran to the range's end, else (a `limit`, or the caller stopped early) only the part
   * up to the last key it yielded, so that writes beyond it cause no false conflict.
   */
  async *scan(options: ScanOptions = {}): AsyncGenerator<[string, unknown], void, undefined> {
    this.assertOpen()
    SCAN_OPTION_KEYS.check(options)
    const range = scanRange(options)
    const reverse = options.reverse ?? false
    const ranges = this.ranges
    // Recorded whole at once (a scan left suspended counts whole); narrowed when it stops early.
    const at = ranges === undefined ? -1 : ranges.push(range) - 1
    const progress: ScanProgress = { last: undefined, reachedEnd: false }
    try {
      yield* this.scanRange(range, reverse, options.limit ?? Number.POSITIVE_INFINITY, progress)
    } finally {
      if (ranges !== undefined && !progress.reachedEnd) ranges[at] = readPart(range, reverse, progress.last)
    }
  }

  private async *scanRange(range: KeyRange, reverse: boolean, limit: number, progress: ScanProgress): AsyncGenerator<[string, unknown], void, undefined> {
    let remaining = limit
    const dir = reverse ? -1 : 1
    // Own writes as they are when the scan begins (keys and values): writes made while iterating
    // are not seen, as the README promises.
    const own = [...this.writes].filter(([k]) => inRange(k, range)).sort((a, b) => dir * compareKeys(a[0], b[0]))
    let ownAt = 0
    let after: string | undefined
    while (remaining > 0) {
      this.assertOpen()
      const chunk = this.engine.index.chunk(range, after, reverse, SCAN_CHUNK_KEYS)
      const exhausted = chunk.length < SCAN_CHUNK_KEYS
      const boundary = exhausted ? undefined : chunk[chunk.length - 1]![0]
      // Resolve values now, synchronously, while the chains are known to hold our snapshot.
      const batch: [string, Uint8Array][] = []
      let at = 0
      for (;;) {
        const treeKey = at < chunk.length ? chunk[at]![0] : undefined
        const ownKey =
          ownAt < own.length && (boundary === undefined || dir * compareKeys(own[ownAt]![0], boundary) <= 0)
            ? own[ownAt]![0]
            : undefined
        if (treeKey === undefined && ownKey === undefined) break
        const order =
          treeKey === undefined ? 1 : ownKey === undefined ? -1 : dir * compareKeys(treeKey, ownKey)
        if (order >= 0) {
          const bytes = own[ownAt]![1]
          if (bytes !== undefined) batch.push([ownKey!, bytes])
          ownAt++
          if (order === 0) at++
        } else {
          const version = visibleIn(chunk[at]![1], this.snapshotTs)
          if (version?.value !== undefined) batch.push([treeKey!, version.value])
          at++
        }
      }
      for (const [key, bytes] of batch) {
        if (remaining <= 0) return
        remaining--
        progress.last = key
        yield [key, msgpackCodec.decode(bytes)]
      }
      if (exhausted) {
        progress.reachedEnd = true
        return
      }
      after = boundary
    }
  }

  /**
   * Commits. Resolves with the commit timestamp once the writes are durable in the WAL and
   * visible to new transactions; rejects with `ConflictError` when the transaction must not
   * commit (it is then aborted). A transaction without writes commits at once and resolves
   * with its snapshot timestamp.
   */
  commit(): Promise<number> {
    try {
      this.assertOpen()
    } catch (error) {
      return rejected(error)
    }
    if (this.writes.size === 0) {
      this.state = 'committed'
      this.engine.release(this)
      return Promise.resolve(this.snapshotTs)
    }
    this.state = 'committing'
    // Validation and ordering happen synchronously inside engine.commit, so the order of
    // commit() calls is the commit order of the transactions that pass. The engine marks the
    // transaction committed (or aborted, when its write fails) before the promise settles; the
    // promise is the engine's, not one more wrapped around it.
    try {
      return this.engine.commit(this, this.writes, this.readKeys, this.ranges, this.stagedBytes)
    } catch (error) {
      this.state = 'aborted'
      return rejected(error)
    }
  }

  /** @internal called by the engine once the commit is durable and visible */
  markCommitted(): void {
    if (this.state === 'committing') this.state = 'committed'
  }

  /** @internal called by the engine when the commit's write failed */
  markAborted(): void {
    if (this.state === 'committing') this.state = 'aborted'
  }

  /** Aborts: drops the writes. Idempotent after abort; rejects after commit. */
  async abort(): Promise<void> {
    if (this.state === 'aborted' || this.state === 'timed-out' || this.state === 'store-closed') {
      this.state = 'aborted'
      return
    }
    if (this.state !== 'open') throw new TransactionClosedError('transaction already committed')
    this.state = 'aborted'
    this.writes.clear()
    this.engine.release(this)
  }

  /** `await using tx = db.begin()` aborts the transaction at the end of the block if it is still open. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.state === 'open') await this.abort()
  }

  /** @internal called by the engine when `txTimeoutMs` has passed */
  expire(): void {
    if (this.state !== 'open') return
    this.state = 'timed-out'
    this.writes.clear()
    this.engine.release(this)
  }

  /** @internal called by the engine when the store closes */
  closeByStore(): void {
    if (this.state !== 'open') return
    this.state = 'store-closed'
    this.writes.clear()
    this.engine.release(this)
  }

  private read(key: string): unknown {
    this.readKeys?.add(key)
    if (this.writes.has(key)) {
      const own = this.writes.get(key)
      return own === undefined ? undefined : msgpackCodec.decode(own)
    }
    const version = this.engine.index.readAt(key, this.snapshotTs)
    return version?.value === undefined ? undefined : msgpackCodec.decode(version.value)
  }

  private stage(key: string, bytes: Uint8Array | undefined): void {
    const replaced = this.writes.has(key)
    if (!replaced && this.writes.size >= MAX_TX_WRITES) {
      throw new InvalidArgumentError(`a transaction may write at most MAX_TX_WRITES (${MAX_TX_WRITES}) keys`)
    }
    // Checked here, so that a commit can never be refused by the WAL for its size (which would
    // leave the outcome of the commits queued with it in doubt).
    const keyBytes = Buffer.byteLength(key, 'utf8') + WRITE_OVERHEAD_BYTES
    const before = replaced ? keyBytes + (this.writes.get(key)?.byteLength ?? 0) : 0
    const after = this.stagedBytes - before + keyBytes + (bytes?.byteLength ?? 0)
    if (after > MAX_TX_BYTES) {
      throw new InvalidArgumentError(`a transaction may write at most ${MAX_TX_BYTES} bytes of keys and values`)
    }
    this.writes.set(key, bytes)
    this.stagedBytes = after
  }

  private assertWritable(): void {
    this.assertOpen()
    if (this.readOnly) throw new ReadOnlyError('write', 'the transaction is read-only')
  }

  private assertOpen(): void {
    if (this.state === 'open' && this.engine.now() - this.startedMs > this.engine.txTimeoutMs) this.expire()
    switch (this.state) {
      case 'open':
        return
      case 'timed-out':
        throw new TransactionTimeoutError(this.engine.txTimeoutMs)
      case 'store-closed':
        throw new ClosedError()
      default:
        throw new TransactionClosedError()
    }
  }
}

/** How far a scan got: the last key it yielded, and whether it ran to its range's end. */
interface ScanProgress {
  last: string | undefined
  reachedEnd: boolean
}

/**
 * The part of `range` a scan that stopped early read: up to and including `last` (the last key it
 * yielded), from the end it started at; nothing when it yielded nothing. (`last + NUL` is the
 * smallest key after `last` in UTF-8 order.)
 */
function readPart(range: KeyRange, reverse: boolean, last: string | undefined): KeyRange {
  if (last === undefined) return { gte: '\u0000', lt: '\u0000' } // empty: no key is in it
  return reverse ? { gte: last, lt: range.lt } : { gte: range.gte, lt: `${last}\u0000` }
}

/** The promise `put` and `delete` return: one for all of them, it carries nothing. */
const RESOLVED: Promise<void> = Promise.resolve()

/** A rejected promise of `error` (an `Error`, as anything thrown here is). */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)))
}

function encodeValue(value: unknown): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = msgpackCodec.encode(value)
  } catch (error) {
    if (error instanceof InvalidValueError) {
      throw new InvalidArgumentError(`value cannot be stored: ${error.message}`, { cause: error })
    }
    throw error
  }
  if (bytes.byteLength > MAX_VALUE_BYTES) {
    throw new InvalidArgumentError(`encoded value is ${bytes.byteLength} bytes, more than MAX_VALUE_BYTES (${MAX_VALUE_BYTES})`)
  }
  return bytes
}
