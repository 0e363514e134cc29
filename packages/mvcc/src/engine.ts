import { Poison } from '@quire/durable'
import { CommitFailedError, ClosedError, OverloadedError } from './errors.js'
import { validateCommit, type RecentCommit } from './conflicts.js'
import type { KeyRange } from './keys.js'
import { EXPIRE_CHECK_MS, GC_COMPACT_AT } from './limits.js'
import { Transaction } from './transaction.js'
import { Version, VersionIndex } from './versions.js'

/** `'snapshot'` (default) or `'serializable'`. */
export type IsolationLevel = 'snapshot' | 'serializable'

/** A transaction's writes in the order they must be made durable. `undefined` is a delete. */
export type CommitWrites = ReadonlyMap<string, Uint8Array | undefined>

/**
 * Makes a commit durable. Called synchronously, once per commit, in commit-timestamp order, so
 * the log's order is the commit order; resolves once it is durable with the log entries it
 * wrote (the WAL's), the last of which gives the commit's log position (`seq`). The entries are
 * taken as the WAL gives them, so that a commit costs no promise of its own to map them.
 */
export type PersistCommit = (ts: number, writes: CommitWrites) => Promise<readonly { readonly seq: number }[]>

export interface EngineOptions {
  readonly isolation: IsolationLevel
  readonly txTimeoutMs: number
  readonly now: () => number
  readonly persist: PersistCommit
  /** Most commits handed to `persist` and not yet settled; one more is `OVERLOADED`. Default: no bound (the store sets one). */
  readonly maxQueuedOperations?: number
  /** Once this many WAL bytes of those commits wait, one more is `OVERLOADED`. Default: no bound. */
  readonly maxQueuedBytes?: number
}

/**
 * A commit handed to `persist`, waiting to become visible. One object per commit, with the
 * fields its promise chain needs (no closures over it, no arrays of its versions: a failed
 * commit's versions are found again by its timestamp).
 */
class PendingCommit {
  readonly ts: number
  readonly tx: Transaction
  /** The keys written, in commit order. */
  readonly writes: CommitWrites
  /** WAL bytes counted against `maxQueuedBytes`. */
  readonly bytes: number
  /** WAL seq of the commit once `persist` resolved; -1 before. */
  position = -1
  /** Visible (resolved) or taken back (rejected). */
  settled = false
  /** Why it was taken back, once it was. */
  failure: Error | undefined = undefined
  /** Only when its WAL write was acknowledged before an earlier commit's (never with the WAL's in-order groups). */
  waiter: { resolve(ts: number): void; reject(error: Error): void } | undefined = undefined

  constructor(ts: number, tx: Transaction, writes: CommitWrites, bytes: number) {
    this.ts = ts
    this.tx = tx
    this.writes = writes
    this.bytes = bytes
  }
}


/**
 * The in-memory MVCC engine: versions per key, open transactions with their snapshots, commit
 * validation, ordered visibility of durable commits, garbage collection and timeouts.
 * Durability is delegated to `persist` (the store wires it to the WAL).
 */
export class MvccEngine {
  readonly index = new VersionIndex()
  readonly isolation: IsolationLevel
  readonly txTimeoutMs: number
  readonly now: () => number
  private readonly persist: PersistCommit
  private readonly maxQueuedOperations: number
  private readonly maxQueuedBytes: number
  /** WAL bytes of the commits in `pending`. */
  private pendingBytes = 0

  /** Last commit timestamp handed out (validated, maybe not yet durable). */
  private lastTs = 0
  /** Every commit <= visibleTs is durable; new snapshots are taken here. */
  private visible = 0
  /** Log position of the commit at `visibleTs` (for checkpoints). */
  private visiblePos = 0

  private nextTxId = 1
  /** Open transactions in begin order, which is also snapshot order and start-time order. */
  private readonly open = new Map<number, Transaction>()
  /** Snapshots pinned by checkpoints (ts → count). */
  private readonly pins = new Map<number, number>()
  private readonly pending: PendingCommit[] = []
  private readonly recent: RecentCommit[] = []
  /** Keys that got a new visible version, and its timestamp (parallel arrays, no per-entry object). */
  private gcKeys: string[] = []
  /** The chain each of those versions went into (pruned without a lookup). */
  private gcChains: (readonly Version[])[] = []
  private gcTs: number[] = []
  /** The chains of the written keys of the commit being validated (reused by every commit). */
  private readonly writeChains: (readonly Version[] | undefined)[] = []
  private gcHead = 0
  private lastExpireCheckMs = Number.NEGATIVE_INFINITY
  /**
   * Set by the first commit whose write failed (its cause kept): every later commit, `begin` and
   * checkpoint refuses with the same `CommitFailedError` until the store is reopened.
   */
  private readonly poison = new Poison(
    (cause) => new CommitFailedError(`the store failed to write a commit earlier${errnoIn(cause)}; reopen it to recover`, { cause }),
  )
  private closed = false

  constructor(options: EngineOptions) {
    this.isolation = options.isolation
    this.txTimeoutMs = options.txTimeoutMs
    this.now = options.now
    this.persist = options.persist
    this.maxQueuedOperations = options.maxQueuedOperations ?? Number.MAX_SAFE_INTEGER
    this.maxQueuedBytes = options.maxQueuedBytes ?? Number.MAX_SAFE_INTEGER
  }

  get visibleTs(): number {
    return this.visible
  }

  get visiblePosition(): number {
    return this.visiblePos
  }

  get openTransactions(): number {
    return this.open.size
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Loads a recovered commit (recovery only: no validation, immediately visible). */
  recover(ts: number, position: number, keys: readonly string[], values: readonly (Uint8Array | undefined)[], count: number): void {
    if (ts <= this.lastTs) throw new Error(`mvcc invariant: recovered commit ${ts} after ${this.lastTs}`)
    // No transaction is open during recovery: the new version replaces the old at once.
    for (let i = 0; i < count; i++) this.index.replace(keys[i]!, ts, values[i])
    this.lastTs = ts
    this.visible = ts
    this.visiblePos = position
  }

  /** Sets the starting point after loading a checkpoint. */
  resetClock(ts: number, position: number): void {
    this.lastTs = Math.max(this.lastTs, ts)
    this.visible = Math.max(this.visible, ts)
    this.visiblePos = position
  }

  begin(readOnly: boolean): Transaction {
    this.assertUsable()
    this.expireOld()
    const tx = new Transaction(this, this.nextTxId++, this.visible, readOnly, this.now())
    this.open.set(tx.id, tx)
    return tx
  }

  /** Forgets an open transaction (commit, abort or timeout), letting GC move on. */
  release(tx: Transaction): void {
    if (this.open.delete(tx.id)) this.collectGarbage()
  }

  /**
   * Validates and orders a commit synchronously, then hands it to `persist`. Throws
   * `ConflictError` (or `CLOSED`, `POISONED`, `OVERLOADED`) synchronously when it must not
   * commit; otherwise the promise resolves with the commit timestamp once the commit is durable
   * and visible (every earlier commit is too), and the transaction is marked committed first.
   *
   * Per commit this allocates the pending entry, one version per write and one promise with its
   * two handlers (the WAL's promise is the WAL's): the commit path runs ~100 000 times a second,
   * and what it allocates is most of its garbage-collection cost.
   */
  commit(
    tx: Transaction,
    writes: CommitWrites,
    readKeys: ReadonlySet<string> | undefined,
    ranges: readonly KeyRange[] | undefined,
    bytes: number,
  ): Promise<number> {
    const chains = this.writeChains
    try {
      this.assertUsable()
      // Refused before it takes a timestamp: a commit the WAL could not take would poison the store.
      this.assertRoom()
      validateCommit(tx.snapshotTs, writes, readKeys, ranges, this.index, this.recent, chains)
    } catch (error) {
      // Emptied by slot (length = 0 would drop the array's storage, reallocated by the next commit).
      chains.fill(undefined)
      throw error
    } finally {
      this.release(tx)
    }
    const ts = ++this.lastTs
    // Garbage collection learns of the versions now, in timestamp order; it reaches them only
    // once they are visible (it stops at the oldest snapshot, never above the visible commit).
    let at = 0
    for (const key of writes.keys()) {
      const chain = this.index.installOn(key, chains[at++], new Version(ts, writes.get(key)))
      this.gcKeys.push(key)
      this.gcChains.push(chain)
      this.gcTs.push(ts)
    }
    chains.fill(undefined, 0, at)
    if (this.isolation === 'serializable') this.recent.push({ ts, keys: [...writes.keys()] })
    const entry = new PendingCommit(ts, tx, writes, bytes)
    this.pending.push(entry)
    this.pendingBytes += bytes
    let persisted: Promise<readonly { readonly seq: number }[]>
    try {
      persisted = this.persist(ts, writes)
    } catch (error) {
      persisted = Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
    return persisted.then(
      (entries) => this.durable(entry, entries),
      (error: unknown) => this.failed(entry, error),
    )
  }

  /** `persist` resolved: the commit becomes visible with every durable commit before it. */
  private durable(entry: PendingCommit, entries: readonly { readonly seq: number }[]): number | Promise<number> {
    // Taken back because an earlier commit failed: its fate on disk does not make it visible.
    if (entry.failure !== undefined) throw entry.failure
    entry.position = entries[entries.length - 1]!.seq
    this.advanceVisibility()
    if (entry.settled) return entry.ts
    // An earlier commit is not durable yet (the WAL acknowledges in order, so this does not happen
    // with it; the engine does not depend on that): wait for it.
    return new Promise<number>((resolve, reject) => {
      entry.waiter = { resolve, reject }
    })
  }

  /** `persist` rejected: this commit and every later one are taken back (see `fail`). */
  private failed(entry: PendingCommit, error: unknown): never {
    this.fail(entry, error)
    throw entry.failure!
  }

  /** Registers a snapshot a checkpoint is reading, so GC keeps its versions. */
  pin(): number {
    const ts = this.visible
    this.pins.set(ts, (this.pins.get(ts) ?? 0) + 1)
    return ts
  }

  unpin(ts: number): void {
    const n = this.pins.get(ts) ?? 0
    if (n <= 1) this.pins.delete(ts)
    else this.pins.set(ts, n - 1)
    this.collectGarbage()
  }

  /** Waits until every commit handed out so far is durable (or failed). */
  async drain(): Promise<void> {
    const last = this.pending[this.pending.length - 1]
    if (last === undefined) return
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.pending.length === 0 || this.pending[0]!.ts > last.ts) resolve()
        else setImmediate(check)
      }
      check()
    })
  }

  /** Aborts every transaction open longer than `txTimeoutMs` (at most every `EXPIRE_CHECK_MS`). */
  expireOld(): void {
    if (this.open.size === 0) return
    const now = this.now()
    if (now - this.lastExpireCheckMs < EXPIRE_CHECK_MS && now >= this.lastExpireCheckMs) return
    this.lastExpireCheckMs = now
    for (const tx of this.open.values()) {
      if (now - tx.startedMs <= this.txTimeoutMs) break
      tx.expire()
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const tx of [...this.open.values()]) tx.closeByStore()
  }

  assertUsable(): void {
    if (this.closed) throw new ClosedError()
    this.poison.check()
  }

  /**
   * Throws `OverloadedError` once `maxQueuedOperations` commits or `maxQueuedBytes` of their WAL
   * bytes wait, whatever the new commit's size (at most the limit plus one commit wait).
   */
  private assertRoom(): void {
    const ops = this.pending.length
    if (ops >= this.maxQueuedOperations) {
      throw new OverloadedError('maxQueuedOperations', this.maxQueuedOperations, ops, this.pendingBytes)
    }
    if (this.pendingBytes >= this.maxQueuedBytes) {
      throw new OverloadedError('maxQueuedBytes', this.maxQueuedBytes, ops, this.pendingBytes)
    }
  }

  /** The oldest snapshot anything can still read at. */
  private oldestSnapshot(): number {
    let oldest = this.visible
    // The size checks spare an iterator per call: this runs on every commit and release.
    if (this.open.size > 0) {
      const first = this.open.values().next()
      if (!first.done) oldest = Math.min(oldest, first.value.snapshotTs)
    }
    if (this.pins.size > 0) for (const ts of this.pins.keys()) oldest = Math.min(oldest, ts)
    return oldest
  }

  private advanceVisibility(): void {
    const pending = this.pending
    while (pending.length > 0 && pending[0]!.position >= 0 && !pending[0]!.settled) {
      const entry = pending.shift()!
      this.pendingBytes -= entry.bytes
      entry.settled = true
      this.visible = entry.ts
      this.visiblePos = entry.position
      entry.tx.markCommitted()
      entry.waiter?.resolve(entry.ts)
    }
    this.collectGarbage()
  }

  /**
   * A commit could not be written. Its fate on disk is unknown (a failed fsync may or may not
   * have persisted it), so visibility freezes here: this commit and every later one are taken
   * back from memory and rejected, and the store refuses commits until reopened, when recovery
   * reads the truth from the WAL.
   */
  private fail(entry: PendingCommit, error: unknown): void {
    this.poison.poison(error)
    const at = this.pending.indexOf(entry)
    if (at < 0) return
    const dropped = this.pending.splice(at)
    const errno = errnoIn(error)
    for (const p of dropped.reverse()) {
      this.pendingBytes -= p.bytes
      p.settled = true
      for (const key of p.writes.keys()) this.index.uninstall(key, p.ts)
      p.failure =
        p === entry
          ? new CommitFailedError(`writing the commit to the WAL failed${errno}; it may or may not be durable`, { cause: error })
          : new CommitFailedError(`an earlier commit failed${errno}; this one may or may not be durable`, { cause: error })
      p.tx.markAborted()
      p.waiter?.reject(p.failure)
    }
    this.lastTs = this.visible
    this.recent.length = 0
  }

  private collectGarbage(): void {
    const oldest = this.oldestSnapshot()
    const keys = this.gcKeys
    const chains = this.gcChains
    const stamps = this.gcTs
    while (this.gcHead < keys.length && stamps[this.gcHead]! <= oldest) {
      this.index.prune(keys[this.gcHead]!, chains[this.gcHead]!, oldest)
      this.gcHead++
    }
    if (this.gcHead >= GC_COMPACT_AT && this.gcHead * 2 >= keys.length) {
      this.gcKeys = keys.slice(this.gcHead)
      this.gcChains = chains.slice(this.gcHead)
      this.gcTs = stamps.slice(this.gcHead)
      this.gcHead = 0
    }
    let drop = 0
    while (drop < this.recent.length && this.recent[drop]!.ts <= oldest) drop++
    if (drop > 0) this.recent.splice(0, drop)
  }
}

/**
 * ` (ENOSPC)` when `error` or one of its causes carries a file-system code (`errno` of the WAL's
 * write error, `code` of the file system's), so that the message names what the disk said.
 */
function errnoIn(error: unknown): string {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const { errno, code, cause } = e as { errno?: unknown; code?: unknown; cause?: unknown }
    if (typeof errno === 'string') return ` (${errno})`
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return ` (${code})`
    e = cause
  }
  return ''
}
