import type { EventStoreBackend } from '../driver.js'
import { EventStore } from '../event-store.js'

/**
 * What a backend can honestly do, so that a case needing a capability is reported as skipped
 * for a backend without it instead of failing or silently passing (Level's `supports` manifest).
 */
export interface ConformanceSupports {
  /** `reopen()` gives back the same store (events, metadata, checkpoints, snapshots survive). */
  readonly reopen: boolean
  /** A second open of a store that is open fails with `LOCKED` (`openAgain`). */
  readonly lock: boolean
  /** `failNextAppend` can make the next commit fail (rolled back, or written with the outcome unknown). */
  readonly appendFailure: boolean
  /** `crash()` cuts the power and reopens (durability cases). */
  readonly crash: boolean
  /**
   * Positions run 1, 2, 3, ... with no hole, and the events of one commit take consecutive
   * positions (the embedded backends). Default true; the PostgreSQL backend's positions only
   * increase, so it sets false and those checks are left out of the cases that make them.
   */
  readonly gapFreePositions?: boolean
  /**
   * After an append failed with its outcome unknown (`failNextAppend('written')`), the store
   * refuses writes with `POISONED` until reopened (the embedded backends: a failed fsync). Default
   * true; the PostgreSQL backend sets false: a lost connection says nothing about the database,
   * so the next append simply runs.
   */
  readonly poisonsAfterUnknownOutcome?: boolean
  /**
   * An event reaches readers once it is committed, which may be before the append that wrote
   * it resolves (EVENT-STORE.md (d) 25: "before commit (PG)"). Default false (the embedded
   * backends show an event only after its append resolved); PostgreSQL sets true: the commit
   * precedes its answer on the wire, and readers in other processes cannot wait for it.
   */
  readonly visibleOnCommit?: boolean
}

/** A capability a case may require (see {@link ConformanceSupports}). */
export type ConformanceCapability = 'reopen' | 'lock' | 'appendFailure' | 'crash'

/** Options of {@link EventStoreConformanceContext.open} and `reopen`. */
export interface ConformanceOpenOptions {
  /** The facade's clock (read-time `maxAge`). */
  readonly now?: () => number
}

/**
 * What a case gets: one store of its own (empty at the first `open`) and the ways to go back to
 * it. The runner closes whatever is still open when the case ends.
 */
export interface EventStoreConformanceContext {
  readonly supports: ConformanceSupports
  /** Opens this case's store (empty the first time). */
  open(options?: ConformanceOpenOptions): Promise<EventStore>
  /** Closes the store opened last (if still open) and opens the same store again. Needs `supports.reopen`. */
  reopen(options?: ConformanceOpenOptions): Promise<EventStore>
  /** Opens the same store again while it is open (to see `LOCKED`). Needs `supports.lock`. */
  openAgain(): Promise<EventStore>
  /**
   * Makes the next commit fail: `'rolled-back'` (nothing written, the store goes on) or
   * `'written'` (the commit is in the log, the caller gets `APPEND_FAILED` and the store is
   * poisoned until reopen). Needs `supports.appendFailure`.
   */
  failNextAppend(outcome: 'rolled-back' | 'written'): void
  /** Power loss, then reopen. Needs `supports.crash`. */
  crash(): Promise<EventStore>
}

/** One behaviour every backend must have; `run` throws (node:assert) when it does not. */
export interface EventStoreConformanceCase {
  /** The case group of EVENT-STORE.md (d): `append`, `idempotency`, `reads`, ... */
  readonly group: string
  /** What the case checks, in a sentence. */
  readonly name: string
  /** Capabilities the case needs; a runner skips it, visibly, on a backend without one. */
  readonly requires?: readonly ConformanceCapability[]
  /** Runs the case on a fresh store of `ctx`; rejects (an `AssertionError`) when the backend fails it. */
  run(ctx: EventStoreConformanceContext): Promise<void>
}

/** Hooks a backend gives {@link backendConformanceContext} for the optional capabilities. */
export interface BackendContextOptions {
  readonly supports: ConformanceSupports
  /** Injects a commit failure into `backend` (see {@link EventStoreConformanceContext.failNextAppend}). */
  readonly failNextAppend?: (outcome: 'rolled-back' | 'written') => void
  /** Cuts the power under the open store and returns a backend to reopen it with. */
  readonly crash?: () => Promise<EventStoreBackend> | EventStoreBackend
}

/** A context plus the cleanup the runner calls when the case ends. */
export interface DisposableConformanceContext extends EventStoreConformanceContext {
  /** Closes every store the context opened. */
  dispose(): Promise<void>
}

/**
 * A context over one backend object that can be opened more than once (every Quire backend
 * factory returns one: `memoryBackend()`, `walBackend(dir)`, ...). Give each case a fresh backend.
 */
export function backendConformanceContext(backend: EventStoreBackend, options: BackendContextOptions): DisposableConformanceContext {
  const opened: EventStore[] = []
  let current: EventStore | undefined
  let currentBackend = backend
  const need = (capability: ConformanceCapability): void => {
    if (!options.supports[capability]) throw new Error(`conformance: this backend does not support ${capability}`)
  }
  const open = async (opts: ConformanceOpenOptions = {}): Promise<EventStore> => {
    const store = await EventStore.open({ backend: currentBackend, ...(opts.now === undefined ? {} : { now: opts.now }) })
    opened.push(store)
    current = store
    return store
  }
  return {
    supports: options.supports,
    open,
    async reopen(opts) {
      need('reopen')
      await current?.close()
      return open(opts)
    },
    async openAgain() {
      need('lock')
      const store = await EventStore.open({ backend: currentBackend })
      opened.push(store)
      return store
    },
    failNextAppend(outcome) {
      need('appendFailure')
      if (options.failNextAppend === undefined) throw new Error('conformance: failNextAppend hook missing')
      options.failNextAppend(outcome)
    },
    async crash() {
      need('crash')
      if (options.crash === undefined) throw new Error('conformance: crash hook missing')
      currentBackend = await options.crash()
      return open()
    },
    async dispose() {
      for (const store of opened) await store.close().catch(() => undefined)
    },
  }
}
