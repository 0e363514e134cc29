import { LockedError } from '@quire/vfs'
import type { CommitLog, CommitRecord, LoggedCommit } from '../commit-log.js'
import type { EventStoreBackend, EventStoreDriver, StoredSnapshot } from '../driver.js'
import { AppendFailedError, ClosedError, StorePoisonedError } from '../errors.js'
import { LocalDriver } from '../local/local-driver.js'
import type { SideStore } from '../local/side-store.js'
import type { Checkpoint } from '../types.js'

/** Options of {@link memoryBackend}. */
export interface MemoryBackendOptions {
  /** Clock for `recordedAt`, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number
}

/** How an injected commit failure ends (see {@link MemoryBackend.failNextAppend}). */
export type InjectedFailure =
  /** Nothing is written and the log goes on, like a write the WAL rolled back (`ENOSPC`). */
  | 'rolled-back'
  /**
   * The commit is kept but the caller gets `APPEND_FAILED` and the log is poisoned until
   * reopen: the outcome-unknown case (a failed sync after the bytes reached the disk).
   */
  | 'written'

/** {@link memoryBackend}'s backend, with hooks for tests. */
export interface MemoryBackend extends EventStoreBackend {
  /** Makes the next commit fail as `outcome` says (a test hook for retry and failure paths). */
  failNextAppend(outcome: InjectedFailure): void
  /** Commits held (system commits included). */
  readonly commitCount: number
}

/** What survives a close: the backend's "disk". */
interface MemoryStorage {
  readonly commits: LoggedCommit[]
  lastPosition: bigint
  readonly checkpoints: Map<string, Checkpoint>
  readonly snapshots: Map<string, StoredSnapshot>
  open: boolean
  failNext: InjectedFailure | undefined
}

/**
 * The in-memory event store backend: the same {@link LocalDriver} as the embedded backends over
 * a commit log kept in memory, so it has their semantics exactly (it is the reference the
 * conformance suite and the model tests run first). No durability: everything is gone with the
 * process. Reopening the same `memoryBackend()` object replays its commits, like a restart
 * without a crash; a second open while it is open is `LOCKED`, like the embedded backends.
 * Commits are acknowledged in groups, on the next turn of the event loop, so concurrent appends
 * interleave as they do against a real log.
 */
export function memoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  const storage: MemoryStorage = {
    commits: [],
    lastPosition: 0n,
    checkpoints: new Map(),
    snapshots: new Map(),
    open: false,
    failNext: undefined,
  }
  return {
    name: 'memory',
    get commitCount() {
      return storage.commits.length
    },
    failNextAppend(outcome) {
      storage.failNext = outcome
    },
    async open(): Promise<EventStoreDriver> {
      if (storage.open) throw new LockedError('memoryBackend', process.pid)
      storage.open = true
      const opts = options.now === undefined ? {} : { now: options.now }
      return LocalDriver.open({ name: 'memory', log: new MemoryCommitLog(storage), side: new MemorySideStore(storage), ...opts })
    },
  }
}

interface Pending {
  readonly commit: CommitRecord
  resolve(value: { readonly firstPosition: bigint }): void
  reject(err: Error): void
}

/** A {@link CommitLog} over {@link MemoryStorage}: group-acknowledged, in call order. */
class MemoryCommitLog implements CommitLog {
  readonly #storage: MemoryStorage
  #queue: Pending[] = []
  #flushing: Promise<void> | undefined
  #poisoned = false
  #closed = false

  constructor(storage: MemoryStorage) {
    this.#storage = storage
  }

  get lastPosition(): bigint {
    return this.#storage.lastPosition
  }

  get poisoned(): boolean {
    return this.#poisoned
  }

  append(commit: CommitRecord): Promise<{ readonly firstPosition: bigint }> {
    if (this.#closed) return Promise.reject(new ClosedError())
    if (this.#poisoned) return Promise.reject(new StorePoisonedError(undefined))
    // Copied: the caller's objects are not the log's.
    const copy: CommitRecord = { events: Object.freeze(commit.events.map((e) => Object.freeze({ ...e }))) }
    return new Promise((resolve, reject) => {
      this.#queue.push({ commit: copy, resolve, reject })
      this.#flushing ??= new Promise<void>((done) => setImmediate(() => {
        this.#flush()
        done()
      }))
    })
  }

  #flush(): void {
    this.#flushing = undefined
    const queue = this.#queue
    this.#queue = []
    const storage = this.#storage
    for (const pending of queue) {
      if (this.#poisoned) {
        pending.reject(new StorePoisonedError(undefined))
        continue
      }
      const failure = storage.failNext
      storage.failNext = undefined
      if (failure === 'rolled-back') {
        pending.reject(new AppendFailedError('memory: injected failure (rolled back)'))
        continue
      }
      const firstPosition = storage.lastPosition + 1n
      storage.commits.push({ events: pending.commit.events, firstPosition })
      storage.lastPosition += BigInt(pending.commit.events.length)
      if (failure === 'written') {
        this.#poisoned = true
        pending.reject(new AppendFailedError('memory: injected failure (outcome unknown; the log is poisoned)'))
        continue
      }
      pending.resolve({ firstPosition })
    }
  }

  async *replay(options?: { readonly fromPosition?: bigint }): AsyncIterable<LoggedCommit> {
    const from = options?.fromPosition ?? 0n
    for (const commit of this.#storage.commits.slice()) {
      if (commit.firstPosition + BigInt(commit.events.length) > from) yield commit
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#flushing
    this.#storage.open = false
  }
}

/** A {@link SideStore} over {@link MemoryStorage}; values are copied in and out. */
class MemorySideStore implements SideStore {
  readonly #storage: MemoryStorage

  constructor(storage: MemoryStorage) {
    this.#storage = storage
  }

  async loadCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined> {
    const cp = this.#storage.checkpoints.get(subscriptionId)
    return cp === undefined ? undefined : { position: cp.position, eventId: cp.eventId }
  }

  async storeCheckpoint(subscriptionId: string, checkpoint: Checkpoint | undefined): Promise<void> {
    if (checkpoint === undefined) this.#storage.checkpoints.delete(subscriptionId)
    else this.#storage.checkpoints.set(subscriptionId, { position: checkpoint.position, eventId: checkpoint.eventId })
  }

  async loadSnapshot(key: string): Promise<StoredSnapshot | undefined> {
    const snapshot = this.#storage.snapshots.get(key)
    return snapshot === undefined ? undefined : structuredClone(snapshot)
  }

  async saveSnapshot(key: string, snapshot: StoredSnapshot): Promise<void> {
    this.#storage.snapshots.set(key, structuredClone(snapshot))
  }

  async close(): Promise<void> {}
}
