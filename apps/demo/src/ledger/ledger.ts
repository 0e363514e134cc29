import { join } from 'node:path'
import { EventStore } from '@quire/event-store'
import { Depot } from '@quire/fs-record-keeper'
import { MvccStore } from '@quire/mvcc'
import { NdjsonLog } from '@quire/ndjson-log'
import type { FileSystem } from '@quire/vfs'
import { AuditTrail, type AuditRecord } from './audit-trail.js'
import { eventStoreBackend, type BackendName, type PostgresTarget } from './backends.js'
import { ReadModelProjector, type ProjectionFaults } from './projection.js'
import { ReadModel } from './read-model.js'
import { WriteSide } from './write-side.js'

/** How to open a ledger. */
export interface LedgerOptions {
  /** Directory of the ledger's data (see {@link ledgerPaths}). */
  readonly dir: string
  readonly backend: BackendName
  /** The file system (default: the real one); `SimFileSystem` for the power-cut round. */
  readonly fs?: FileSystem
  readonly postgres?: PostgresTarget
  readonly faults?: ProjectionFaults
}

/** Where each part of a ledger lives under its directory. */
export function ledgerPaths(dir: string): { readonly events: string; readonly readModel: string; readonly documents: string; readonly audit: string } {
  return {
    events: join(dir, 'events'),
    readModel: join(dir, 'read-model'),
    documents: join(dir, 'documents'),
    audit: join(dir, 'audit.ndjson'),
  }
}

/**
 * The bank ledger: every Quire package composed.
 *
 * | part | package | path |
 * | --- | --- | --- |
 * | write side: account streams, transfers across two streams | `@quire/event-store` (+ `@quire/snapshots` for aggregates) | `dir/events` |
 * | read side: balances, statement lines, totals + checkpoint | `@quire/mvcc` | `dir/read-model` |
 * | statement documents | `@quire/fs-record-keeper` `Depot` | `dir/documents/depot` |
 * | audit trail | `@quire/ndjson-log` via a durable subscription | `dir/audit.ndjson` |
 *
 * `open` recovers every part; nothing runs in the background until {@link Ledger.startBackground}.
 */
export class Ledger {
  readonly store: EventStore
  readonly db: MvccStore
  readonly depot: Depot
  readonly auditLog: NdjsonLog<AuditRecord>
  readonly writeSide: WriteSide
  readonly readModel: ReadModel
  readonly projector: ReadModelProjector
  readonly audit: AuditTrail
  #closed = false

  private constructor(parts: {
    store: EventStore
    db: MvccStore
    depot: Depot
    auditLog: NdjsonLog<AuditRecord>
    audit: AuditTrail
    faults: ProjectionFaults | undefined
  }) {
    this.store = parts.store
    this.db = parts.db
    this.depot = parts.depot
    this.auditLog = parts.auditLog
    this.audit = parts.audit
    this.writeSide = new WriteSide(parts.store, parts.depot)
    this.readModel = new ReadModel(parts.db)
    this.projector = new ReadModelProjector(parts.store, parts.db, parts.faults)
  }

  /** Opens (and so recovers) every part. @throws the parts' own errors (`LOCKED`, corruption codes). */
  static async open(options: LedgerOptions): Promise<Ledger> {
    const paths = ledgerPaths(options.dir)
    const fsOption = options.fs === undefined ? {} : { fs: options.fs }
    const opened: { close(): Promise<void> }[] = []
    try {
      const backend = await eventStoreBackend(options.backend, options.dir, options.fs, options.postgres)
      const store = await EventStore.open({ backend })
      opened.push(store)
      const db = await MvccStore.open(paths.readModel, fsOption)
      opened.push(db)
      const depot = await Depot.open(paths.documents, fsOption)
      opened.push(depot)
      // Written without an fdatasync per line: see AuditTrail for why that is safe.
      const auditLog = await NdjsonLog.open<AuditRecord>(paths.audit, { ...fsOption, sync: 'none' })
      opened.push(auditLog)
      const audit = await AuditTrail.over(auditLog)
      return new Ledger({ store, db, depot, auditLog, audit, faults: options.faults })
    } catch (error) {
      for (const part of opened.reverse()) await part.close().catch(() => undefined)
      throw error
    }
  }

  /** Starts the projection into the read model and the audit trail's subscription. */
  async startBackground(): Promise<void> {
    await this.projector.start()
    await this.audit.start(this.store)
  }

  /**
   * Calls `listener` once if a background part fails for good (the projection's MVCC commit,
   * the audit trail's subscription): the service then exits and is restarted (crash-only).
   */
  onBackgroundFailure(listener: (error: unknown) => void): void {
    let called = false
    const once = (error: unknown): void => {
      if (called || this.#closed) return
      called = true
      listener(error)
    }
    this.projector.onFailure(once)
    this.audit.done?.catch(once)
  }

  /** The last event's position in the log (`0n` when empty). */
  get head(): bigint {
    return this.store.lastPosition ?? 0n
  }

  /**
   * Resolves once the read model and the audit file hold every event appended before the call,
   * or rejects after `timeoutMs` (a stalled or failed background part).
   */
  async caughtUp(timeoutMs: number): Promise<void> {
    const head = this.head
    const deadline = Date.now() + timeoutMs
    if (!(await this.projector.waitFor(head, timeoutMs))) {
      throw new Error(`the read model did not catch up to position ${head} (at ${this.projector.position})`, { cause: this.projector.failure })
    }
    while (this.audit.position < head) {
      if (Date.now() > deadline) throw new Error(`the audit trail did not catch up to position ${head} (at ${this.audit.position})`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  /** Stops the background parts (storing their checkpoints) and closes every store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.projector.stop()
    await this.audit.stop().catch(() => undefined)
    await this.store.close()
    await this.db.close()
    await this.depot.close()
    await this.auditLog.close()
  }

  /**
   * For a power cut: stops the background loops and drops every handle without flushing
   * anything (the disk is gone). Errors of the dead parts are swallowed.
   */
  async abandon(): Promise<void> {
    this.#closed = true
    await Promise.allSettled([this.projector.stop(), this.audit.stop()])
    await Promise.allSettled([this.store.close(), this.db.close(), this.depot.close(), this.auditLog.close()])
  }
}
