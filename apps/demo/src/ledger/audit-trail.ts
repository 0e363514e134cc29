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
 * every event to an NDJSON log a person can read with `jq`. Delivery is at-least-once (after a
 * kill, the events since the last stored checkpoint come again), so the handler dedupes: the
 * file is append-only in position order, so an event at or below the file's last position is
 * already in it. Each append is durable before the handler returns, and so before the
 * subscription may store a checkpoint past it.
 */
export class AuditTrail {
  readonly #log: NdjsonLog<AuditRecord>
  #subscription: DurableSubscription | undefined
  #last: bigint
  /** Events this instance wrote. */
  written = 0

  private constructor(log: NdjsonLog<AuditRecord>, last: bigint) {
    this.#log = log
    this.#last = last
  }

  /** Reads the file's last record, to know where it stands. */
  static async over(log: NdjsonLog<AuditRecord>): Promise<AuditTrail> {
    let last = 0n
    if (log.lastSeq > 0) for await (const { record } of log.read({ fromSeq: log.lastSeq })) last = BigInt(record.position)
    return new AuditTrail(log, last)
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
    this.#subscription = await store.subscribe(AUDIT_SUBSCRIPTION_ID, async (event) => {
      if (event.position <= this.#last) return
      await this.#log.append(auditRecordOf(event))
      this.#last = event.position
      this.written++
    })
  }

  /** Stops after the event in progress and stores the checkpoint. Idempotent. */
  async stop(): Promise<void> {
    await this.#subscription?.stop()
  }
}
