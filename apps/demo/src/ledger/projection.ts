import type { EventStore, RecordedEvent } from '@quire/event-store'
import type { MvccStore, Transaction } from '@quire/mvcc'
import { accountIdOf, asAccountEvent, balanceDelta, type AccountEvent } from './domain/events.js'
import { PROJECTION_BATCH_EVENTS, READ_MODEL_CHECKPOINT_EVERY_EVENTS, READ_MODEL_LINES_KEPT } from './limits.js'
import { emptyTotals, keys, type AccountView, type LineView, type ProjectionCheckpoint, type StatementView, type TotalsView } from './read-model.js'
import { positionNumber } from './replies.js'

/**
 * Faults to inject on purpose, to see the invariant checks catch them (`--break`).
 * `applyTwice`: after every start, the first money-moving event is applied twice.
 */
export interface ProjectionFaults {
  readonly applyTwice?: boolean
}

function counterpartyOf(event: AccountEvent): string | undefined {
  switch (event.type) {
    case 'TransferSent':
    case 'TransferDeclined':
      return event.data.to
    case 'TransferReceived':
      return event.data.from
    default:
      return undefined
  }
}

const LINE_TYPES: ReadonlySet<string> = new Set(['Deposited', 'Withdrawn', 'WithdrawalDeclined', 'TransferSent', 'TransferReceived', 'TransferDeclined'])

function countIn(totals: TotalsView, event: AccountEvent): TotalsView {
  const t = { ...totals, events: totals.events + 1, money: totals.money + balanceDelta(event) }
  switch (event.type) {
    case 'AccountOpened':
      return { ...t, accounts: t.accounts + 1 }
    case 'Deposited':
      return { ...t, deposits: t.deposits + 1 }
    case 'Withdrawn':
      return { ...t, withdrawals: t.withdrawals + 1 }
    case 'TransferSent':
      return { ...t, transfers: t.transfers + 1 }
    case 'WithdrawalDeclined':
    case 'TransferDeclined':
      return { ...t, declines: t.declines + 1 }
    case 'StatementIssued':
      return { ...t, statements: t.statements + 1 }
    default:
      return t
  }
}

/** Applies one event to the read model inside `tx` (the caller's transaction, with the checkpoint). */
async function applyEvent(tx: Transaction, recorded: RecordedEvent, totals: TotalsView): Promise<TotalsView> {
  const accountId = accountIdOf(recorded.streamName)
  if (accountId === undefined) return totals
  const event = asAccountEvent(recorded)
  const position = positionNumber(recorded.position)
  const before = (await tx.get(keys.account(accountId))) as AccountView | undefined
  const account: AccountView =
    before ?? { accountId, owner: event.type === 'AccountOpened' ? event.data.owner : '', balance: 0, revision: -1, lines: 0 }
  const balance = account.balance + balanceDelta(event)
  let lines = account.lines
  if (LINE_TYPES.has(event.type)) {
    const counterparty = counterpartyOf(event)
    const line: LineView = {
      seq: lines,
      revision: recorded.revision,
      position,
      type: event.type,
      amount: balanceDelta(event),
      balance,
      ...(counterparty === undefined ? {} : { counterparty }),
    }
    await tx.put(keys.line(accountId, lines), line)
    if (lines >= READ_MODEL_LINES_KEPT) await tx.delete(keys.line(accountId, lines - READ_MODEL_LINES_KEPT))
    lines++
  }
  if (event.type === 'StatementIssued') {
    const { statementId, objectId, bytes, sha256, toRevision } = event.data
    await tx.put(keys.document(objectId), { accountId, statementId, objectId, bytes, sha256, toRevision } satisfies StatementView)
  }
  await tx.put(keys.account(accountId), { ...account, balance, revision: recorded.revision, lines })
  return countIn(totals, event)
}

/**
 * The async projection of the event log into the MVCC read model. It follows `$all` with a
 * catch-up subscription from its own checkpoint, and applies each batch of events in ONE MVCC
 * transaction that also writes the new checkpoint `{ position, eventId }`. The transaction
 * skips any event at or before the checkpoint it reads, so an event is applied exactly once,
 * whatever is delivered again after a kill: the model and its checkpoint commit together or
 * not at all. (The store's durable `subscribe` keeps its checkpoint in the event store, which
 * cannot commit with an MVCC transaction; this is why the projection keeps its own.)
 */
export class ReadModelProjector {
  readonly #store: EventStore
  readonly #db: MvccStore
  #position = 0n
  #pending: RecordedEvent[] = []
  #flushing: Promise<void> | undefined
  #run: Promise<void> | undefined
  #stop = new AbortController()
  #failure: unknown
  #onFailure: ((error: unknown) => void) | undefined
  #sinceCheckpoint = 0
  #faultArmed: boolean
  readonly #waiters = new Set<{ readonly position: bigint; readonly settle: (reached: boolean) => void }>()
  /** Events applied by this instance (for throughput reports). */
  applied = 0

  constructor(store: EventStore, db: MvccStore, faults: ProjectionFaults = {}) {
    this.#store = store
    this.#db = db
    this.#faultArmed = faults.applyTwice === true
  }

  /** Position of the last event applied (committed with the read model); `0n` before the first. */
  get position(): bigint {
    return this.#position
  }

  /** Why the projection stopped, if it failed. */
  get failure(): unknown {
    return this.#failure
  }

  /** Calls `listener` once if the projection fails (a read or an MVCC commit failed). */
  onFailure(listener: (error: unknown) => void): void {
    this.#onFailure = listener
    if (this.#failure !== undefined) listener(this.#failure)
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined || this.#stop.signal.aborted) return
    this.#failure = error
    this.#onFailure?.(error)
  }

  /**
   * Reads the checkpoint, checks that the log still holds that event at that position (a log
   * that changed under the read model is refused, never silently skipped), and starts following.
   */
  async start(): Promise<void> {
    const checkpoint = (await this.#db.transaction(async (tx) => tx.get(keys.checkpoint), { readOnly: true })) as ProjectionCheckpoint | undefined
    if (checkpoint !== undefined) {
      const position = BigInt(checkpoint.position)
      let found: RecordedEvent | undefined
      for await (const e of this.#store.readAll({ fromPosition: position, maxCount: 1 })) found = e
      if (found?.position !== position || found.id !== checkpoint.eventId) {
        throw new Error(`read-model checkpoint ${checkpoint.position} (${checkpoint.eventId}) does not match the log: rebuild the read model`)
      }
      this.#position = position
    }
    const subscription = this.#store.subscribeToAll({ fromPosition: this.#position === 0n ? 'start' : this.#position })
    this.#run = this.#follow(subscription).catch((error: unknown) => this.#fail(error))
    this.#stop.signal.addEventListener('abort', () => void subscription.unsubscribe().catch(() => undefined), { once: true })
  }

  async #follow(subscription: AsyncIterable<RecordedEvent>): Promise<void> {
    for await (const event of subscription) {
      if (this.#stop.signal.aborted) return
      this.#pending.push(event)
      this.#flushing ??= this.#flush().finally(() => (this.#flushing = undefined))
      // Backpressure: hold at most two batches in memory.
      if (this.#pending.length >= 2 * PROJECTION_BATCH_EVENTS) await this.#flushing
      if (this.#failure !== undefined) throw new Error('the read-model projection failed', { cause: this.#failure })
    }
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#stop.signal.aborted) {
        const batch = this.#pending.splice(0, PROJECTION_BATCH_EVENTS)
        await this.#apply(batch)
        if (this.#sinceCheckpoint >= READ_MODEL_CHECKPOINT_EVERY_EVENTS) {
          this.#sinceCheckpoint = 0
          await this.#db.checkpoint()
        }
      }
    } catch (error) {
      this.#fail(error)
    }
  }

  async #apply(batch: readonly RecordedEvent[]): Promise<void> {
    const last = await this.#db.transaction(async (tx) => {
      const checkpoint = (await tx.get(keys.checkpoint)) as ProjectionCheckpoint | undefined
      const after = BigInt(checkpoint?.position ?? 0)
      let totals = ((await tx.get(keys.totals)) as TotalsView | undefined) ?? emptyTotals()
      let applied: RecordedEvent | undefined
      let twice = this.#faultArmed
      for (const event of batch) {
        // Exactly once: an event at or before the checkpoint committed with the model is in it.
        if (event.position <= after) continue
        totals = await applyEvent(tx, event, totals)
        if (twice && balanceDelta(asAccountEvent(event)) !== 0) {
          totals = await applyEvent(tx, event, totals) // the fault: the same event applied again
          twice = false
        }
        applied = event
      }
      if (applied === undefined) return undefined
      await tx.put(keys.totals, totals)
      await tx.put(keys.checkpoint, { position: positionNumber(applied.position), eventId: applied.id } satisfies ProjectionCheckpoint)
      return { position: applied.position, count: batch.length, faultUsed: twice !== this.#faultArmed }
    })
    if (last === undefined) return
    if (last.faultUsed) this.#faultArmed = false
    this.applied += last.count
    this.#sinceCheckpoint += last.count
    this.#position = last.position
    for (const waiter of this.#waiters) {
      if (waiter.position <= last.position) {
        this.#waiters.delete(waiter)
        waiter.settle(true)
      }
    }
  }

  /**
   * Resolves `true` once the read model includes the event at `position`, `false` after
   * `timeoutMs` or if the projection stops meanwhile.
   */
  async waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    if (this.#position >= position) return true
    if (this.#failure !== undefined || this.#stop.signal.aborted) return false
    return new Promise<boolean>((resolve) => {
      const waiter = {
        position,
        settle: (reached: boolean) => {
          clearTimeout(timer)
          this.#waiters.delete(waiter)
          resolve(reached)
        },
      }
      const timer = setTimeout(() => waiter.settle(this.#position >= position), timeoutMs)
      this.#waiters.add(waiter)
    })
  }

  /** Stops following; the last committed batch stays (its checkpoint with it). Idempotent. */
  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#run
    await this.#flushing
    for (const waiter of [...this.#waiters]) waiter.settle(this.#position >= waiter.position)
  }
}
