import type { DurableSubscription, EventStore, RecordedEvent } from '@quire/event-store'
import type { NdjsonLog } from '@quire/ndjson-log'
import { positionNumber } from './replies.js'

/** The durable subscription's id in the event store. */
export const AUDIT_SUBSCRIPTION_ID = 'audit-trail'

/**
 * One line of the audit file (`audit.ndjson`, an `@quire/ndjson-log`: each line is
 * `{"seq":…,"rec":<AuditRecord>,"crc":…}`), e.g. `jq -c '.rec | select(.type == "TransferSent")'`.
 */
export interface AuditRecord {
  /** The event's `$all` position: strictly increasing down the file, each exactly once. */
  readonly position: number
  readonly id: string
  readonly stream: string
  readonly revision: number
  readonly type: string
  readonly data: unknown
  readonly metadata: unknown
  readonly recordedAt: Date
}

export const auditRecordOf = (e: RecordedEvent): AuditRecord => ({
  position: positionNumber(e.position),
  id: e.id,
  stream: e.streamName,
  revision: e.revision,
  type: e.type,
  data: e.data,
  metadata: e.metadata ?? null,
  recordedAt: e.recordedAt,
})

/**
 * The audit trail: a durable subscription of the event store (`store.subscribe`) that writes
 * every event to an NDJSON log a person can read with `jq`.
 *
 * The file itself is the truth of what was audited; the subscription's checkpoint is where to
 * resume. Delivery is at-least-once (after a kill, the events since the last stored checkpoint
 * come again), so the handler skips any event at or below the file's last position: the file
 * is append-only in position order. Appends are written one after the other (so the file can
 * never have a hole) without an `fdatasync` each (`sync: 'none'`: a SIGKILL loses nothing the
 * OS has); a power loss can take the file's newest lines while the checkpoint, stored durably
 * by the store, says they were handled. So on start, a checkpoint ahead of the file is reset
 * to the file's last line (`resetCheckpoint`), and those events are delivered again.
 */
export class AuditTrail {
  readonly #log: NdjsonLog<AuditRecord>
  #subscription: DurableSubscription | undefined
  #last: bigint
  readonly #lastId: string | undefined
  readonly #startedAt: bigint
  /** Events this instance wrote. */
  written = 0
  /** Set when `start` found the stored checkpoint ahead of the file (a power loss took lines). */
  rewoundFrom: bigint | undefined

  private constructor(log: NdjsonLog<AuditRecord>, last: bigint, lastId: string | undefined) {
    this.#log = log
    this.#last = last
    this.#lastId = lastId
    this.#startedAt = last
  }

  /** Reads the file's last record, to know where it stands. */
  static async over(log: NdjsonLog<AuditRecord>): Promise<AuditTrail> {
    let last = 0n
    let lastId: string | undefined
    if (log.lastSeq > 0) {
      for await (const { record } of log.read({ fromSeq: log.lastSeq })) {
        last = BigInt(record.position)
        lastId = record.id
      }
    }
    return new AuditTrail(log, last, lastId)
  }

  /** Position of the file's newest event when this trail was opened. */
  get startedAt(): bigint {
    return this.#startedAt
  }

  /** Position of the newest event in the file (`0n` when empty). */
  get position(): bigint {
    return this.#last
  }

  /** The subscription's end (rejects with `SUBSCRIPTION_DROPPED` if the handler or the store failed). */
  get done(): Promise<void> | undefined {
    return this.#subscription?.done
  }

  async start(store: EventStore): Promise<void> {
    const checkpoint = await store.getCheckpoint(AUDIT_SUBSCRIPTION_ID)
    if (checkpoint !== undefined && checkpoint.position > this.#last) {
      this.rewoundFrom = checkpoint.position
      await store.resetCheckpoint(AUDIT_SUBSCRIPTION_ID, this.#lastId === undefined ? 'start' : { position: this.#last, eventId: this.#lastId })
    }
    this.#subscription = await store.subscribe(AUDIT_SUBSCRIPTION_ID, async (event) => {
      if (event.position <= this.#last) return
      await this.#log.append(auditRecordOf(event))
      this.#last = event.position
      this.written++
    })
  }

  /** Stops after the event in progress, stores the checkpoint, and makes the file durable. Idempotent. */
  async stop(): Promise<void> {
    await this.#subscription?.stop()
    if (!this.#log.poisoned) await this.#log.sync().catch(() => undefined)
  }
}
