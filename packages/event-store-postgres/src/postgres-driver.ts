import { randomUUID } from 'node:crypto'
import { jsonCodec } from '@quire/codec'
import {
  AppendTooLargeError,
  ClosedError,
  EventStoreCorruptError,
  type AppendResult,
  type Checkpoint,
  type CommandOutcome,
  type Direction,
  type DriverAppendOutcome,
  type DriverAppendRequest,
  type DriverFilter,
  type EventStoreDriver,
  type ExpectedRevision,
  type RecordedEvent,
  type StoredSnapshot,
  type StreamCommand,
  type StreamInfo,
  type StreamMetadata,
} from '@quire/event-store'
import type pg from 'pg'
import type { AppendWakeups } from './append-wakeups.js'
import { closedOr, isEventIdConflict, writeError, type WriteTarget } from './error-mapping.js'
import { EVENT_COLUMNS, recordedEvent, type EventRow } from './event-rows.js'
import { queryHorizonLag, type HorizonLag } from './horizon-lag.js'
import { MAX_EVENTS_PER_TRANSACTION, READ_PAGE_EVENTS } from './limits.js'
import { queryTypes } from './pg-types.js'
import { ReleaseOrder } from './release-order.js'

/** Everything the driver needs, resolved by `postgresBackend`. */
export interface PostgresDriverConfig {
  readonly pool: pg.Pool
  /** End the pool on close (the backend created it). */
  readonly ownsPool: boolean
  readonly schema: string
  /** The quoted schema. */
  readonly s: string
  readonly wakeups: AppendWakeups
  /** Resolve this process's writes in position order (see `PostgresBackendOptions`). */
  readonly orderedCommits: boolean
  /** Called once the driver has closed. */
  readonly onClosed?: () => void
}

/** `$all` below the transaction horizon: every transaction with a smaller id has finished. */
const HORIZON = '(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16)'

const encodeExpected = (expected: ExpectedRevision): string =>
  expected === 'any' ? '-1' : expected === 'no_stream' ? '-2' : expected === 'stream_exists' ? '-3' : String(expected)

/** LIKE pattern matching strings that start with `prefix` (`\`, `%`, `_` escaped). */
const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

type AppendRow = [bigint, bigint, boolean, bigint | null, Date, bigint | null]
type CommandRow = [bigint, bigint, Date, string, string, bigint]

/**
 * The {@link EventStoreDriver} on PostgreSQL. Every check runs inside the database (several
 * processes write at once), in the `append` and `stream_command` functions; reads are single
 * statements. See the README for the ordering design.
 */
export class PostgresDriver implements EventStoreDriver {
  readonly name = 'postgres'
  readonly #pool: pg.Pool
  readonly #ownsPool: boolean
  readonly #wakeups: AppendWakeups
  readonly #onClosed: (() => void) | undefined
  readonly #sql: ReturnType<typeof statements>
  readonly #inFlight = new Set<Promise<unknown>>()
  /** Answers of this process's writes go back in position order (see ReleaseOrder). */
  readonly #order: ReleaseOrder
  #closed = false
  #closing: Promise<void> | undefined
  /** The last head read, and the wake-up generation it was read in. */
  #lastHead: { readonly generation: number; readonly head: bigint | undefined } | undefined

  constructor(config: PostgresDriverConfig) {
    this.#pool = config.pool
    this.#ownsPool = config.ownsPool
    this.#wakeups = config.wakeups
    this.#onClosed = config.onClosed
    this.#order = new ReleaseOrder(config.orderedCommits)
    this.#sql = statements(config.s)
  }

  async append(requests: readonly DriverAppendRequest[]): Promise<DriverAppendOutcome> {
    this.#checkOpen()
    const streams: string[] = []
    const expected: string[] = []
    const counts: number[] = []
    const ids: string[] = []
    const types: string[] = []
    const data: string[] = []
    const metadata: (string | null)[] = []
    for (const r of requests) {
      streams.push(r.streamName)
      expected.push(encodeExpected(r.expectedRevision))
      counts.push(r.events.length)
      for (const e of r.events) {
        ids.push(e.id)
        types.push(e.type)
        data.push(jsonCodec.stringify(e.data))
        metadata.push(e.metadata === undefined ? null : jsonCodec.stringify(e.metadata))
      }
    }
    if (ids.length > MAX_EVENTS_PER_TRANSACTION) {
      throw new AppendTooLargeError('events per append', ids.length, MAX_EVENTS_PER_TRANSACTION)
    }
    return this.#track(async () => {
      const ticket = this.#order.begin()
      let outcome: DriverAppendOutcome
      let nextXid: bigint | undefined
      try {
        const args = [streams, expected, counts, ids, types, data, metadata]
        let rows: AppendRow[]
        try {
          rows = await this.#query<AppendRow>(this.#sql.append, [...args, false])
        } catch (error) {
          // An id is already in the store: the fast path's insert hit the unique index and
          // undid everything. Again, with the ids looked up first (the idempotency rule).
          if (!isEventIdConflict(error)) throw error
          rows = await this.#query<AppendRow>(this.#sql.append, [...args, true])
        }
        outcome = appendOutcome(requests, rows)
        nextXid = rows[0]?.[5] ?? undefined
      } catch (error) {
        await this.#order.answered(ticket, undefined)
        throw await writeError(error, requests, (id) => this.#locate(id))
      }
      await this.#order.answered(ticket, outcome.events.at(-1)?.position, nextXid)
      if (outcome.events.length > 0) this.#wakeups.announce()
      return outcome
    })
  }

  async command(command: StreamCommand): Promise<CommandOutcome> {
    this.#checkOpen()
    const metaStream = `$$${command.streamName}`
    // As the embedded driver: a metadata expectation names the `$$` stream it is checked against.
    const target: WriteTarget =
      command.kind === 'metadata'
        ? { streamName: metaStream, expectedRevision: command.expectedMetadataRevision }
        : { streamName: command.streamName, expectedRevision: command.expectedRevision }
    const data = command.kind === 'metadata' ? jsonCodec.stringify(command.metadata) : null
    const id = randomUUID()
    return this.#track(async () => {
      let rows: CommandRow[]
      const ticket = this.#order.begin()
      try {
        rows = await this.#query<CommandRow>(this.#sql.command, [command.kind, command.streamName, encodeExpected(target.expectedRevision), data, id])
      } catch (error) {
        await this.#order.answered(ticket, undefined)
        throw await writeError(error, [target], (eventId) => this.#locate(eventId))
      }
      const row = rows[0]
      await this.#order.answered(ticket, row?.[0], row?.[5])
      if (row === undefined) throw new EventStoreCorruptError('the stream command function answered no row')
      const [position, revision, recordedAt, eventData, type] = row
      this.#wakeups.announce()
      const event = recordedEvent([position, metaStream, revision, id, type, eventData, null, recordedAt])
      return { position, revision: Number(revision), event }
    })
  }

  readStream(streamName: string, from: number, direction: Direction, maxCount: number): AsyncIterable<RecordedEvent> {
    this.#checkOpen()
    const forwards = direction === 'forwards'
    return this.#pages(maxCount, (limit, after) => {
      const cursor = after === undefined ? from : Number(after[2]) + (forwards ? 1 : -1)
      return cursor < 0 ? undefined : this.#query<EventRow>(this.#sql.readStream, [streamName, String(cursor), forwards, limit])
    })
  }

  readAll(from: bigint, direction: Direction, maxCount: number, filter: DriverFilter | undefined): AsyncIterable<RecordedEvent> {
    this.#checkOpen()
    const forwards = direction === 'forwards'
    const streams = filter?.streamNamePrefix?.map(likePrefix) ?? null
    const types = filter?.eventTypePrefix?.map(likePrefix) ?? null
    const system = filter?.includeSystem === true
    return this.#pages(maxCount, (limit, after) => {
      const cursor = after === undefined ? from : after[0] + (forwards ? 1n : -1n)
      return cursor < 0n ? undefined : this.#query<EventRow>(this.#sql.readAll, [String(cursor), forwards, limit, streams, types, system])
    })
  }

  /**
   * Keyset paging with one page read ahead: the next page's query is sent as soon as a page
   * arrives (its cursor is known then), so decoding and the consumer's work overlap the next
   * round trip (catch-up ran about 40 % idle without it). `read(limit, lastRow)` returns the
   * page after `lastRow` (`undefined`: the first page), or `undefined` when there is none.
   */
  async *#pages(maxCount: number, read: (limit: number, after: EventRow | undefined) => Promise<EventRow[]> | undefined): AsyncGenerator<RecordedEvent> {
    let remaining = maxCount
    let limit = Math.min(remaining, READ_PAGE_EVENTS)
    let pending = read(limit, undefined)
    while (pending !== undefined) {
      const rows = await pending
      remaining -= rows.length
      pending = undefined
      if (rows.length === limit && remaining > 0) {
        limit = Math.min(remaining, READ_PAGE_EVENTS)
        pending = read(limit, rows[rows.length - 1])
        // A consumer that stops early leaves this page unread; its failure is nobody's.
        pending?.catch(() => undefined)
      }
      for (const row of rows) yield recordedEvent(row)
    }
  }

  async streamInfo(streamName: string): Promise<StreamInfo | undefined> {
    this.#checkOpen()
    type Row = [bigint | null, bigint | null, bigint | null, bigint | null, boolean | null, string | null, boolean]
    const rows = await this.#query<Row>(this.#sql.streamInfo, [streamName, `$$${streamName}`])
    const [lastRevision, lastPosition, metadataRevision, deletedBefore, tombstoned, metadata, hasRow] = rows[0]!
    if (lastRevision === null && metadataRevision === null && !hasRow) return undefined
    return {
      lastRevision: lastRevision === null ? -1 : Number(lastRevision),
      lastPosition: lastPosition ?? undefined,
      tombstoned: tombstoned ?? false,
      metadata: metadata === null ? undefined : (jsonCodec.parse(metadata) as StreamMetadata),
      metadataRevision: metadataRevision === null ? -1 : Number(metadataRevision),
      deletedBefore: deletedBefore === null ? undefined : Number(deletedBefore),
    }
  }

  async eventAt(position: bigint): Promise<RecordedEvent | undefined> {
    this.#checkOpen()
    const rows = await this.#query<EventRow>(this.#sql.eventAt, [String(position)])
    return rows[0] === undefined ? undefined : recordedEvent(rows[0])
  }

  async headPosition(): Promise<bigint | undefined> {
    this.#checkOpen()
    const generation = this.#wakeups.generation
    const rows = await this.#query<[bigint | null]>(this.#sql.head, [])
    const head = rows[0]?.[0] ?? undefined
    this.#lastHead = { generation, head }
    return head
  }

  async waitForAppend(after: bigint | undefined, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.#closed) return
    // Read the generation first: a wake-up between the head read and the wait is not lost.
    const generation = this.#wakeups.generation
    // A head read since the last wake-up is still the head: nothing that could move it (an
    // append here, a NOTIFY, a poll tick) has happened since, so no query is needed.
    let head: bigint | undefined
    if (this.#lastHead?.generation === generation) {
      head = this.#lastHead.head
    } else {
      try {
        head = await this.headPosition()
      } catch (error) {
        if (this.#closed) return
        throw error
      }
    }
    if (head !== undefined && (after === undefined || head > after)) return
    await this.#wakeups.wait(generation, signal)
  }

  /** The durable subscription's stored checkpoint, `undefined` when none. */
  async loadCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined> {
    this.#checkOpen()
    const rows = await this.#query<[bigint, string]>(this.#sql.loadCheckpoint, [subscriptionId])
    const row = rows[0]
    return row === undefined ? undefined : { position: row[0], eventId: row[1] }
  }

  async storeCheckpoint(subscriptionId: string, checkpoint: Checkpoint | undefined): Promise<void> {
    this.#checkOpen()
    if (checkpoint === undefined) await this.#query(this.#sql.deleteCheckpoint, [subscriptionId])
    else await this.#query(this.#sql.storeCheckpoint, [subscriptionId, String(checkpoint.position), checkpoint.eventId])
  }

  async loadSnapshot(key: string): Promise<StoredSnapshot | undefined> {
    this.#checkOpen()
    const rows = await this.#query<[bigint, number, string]>(this.#sql.loadSnapshot, [key])
    const row = rows[0]
    if (row === undefined) return undefined
    try {
      return { position: row[0], schemaVersion: row[1], state: jsonCodec.parse(row[2]) }
    } catch {
      // A snapshot is a cache: one that does not decode is a miss, never an error.
      return undefined
    }
  }

  /** Stores a snapshot (a cache: a failed save costs replay, never correctness). */
  async saveSnapshot(key: string, snapshot: StoredSnapshot): Promise<void> {
    this.#checkOpen()
    const state = jsonCodec.stringify(snapshot.state)
    await this.#query(this.#sql.saveSnapshot, [key, String(snapshot.position), snapshot.schemaVersion, state])
  }

  /** How far `$all` readers are held back by open transactions (README "Long transactions"). */
  async horizonLag(): Promise<HorizonLag> {
    this.#checkOpen()
    return queryHorizonLag(this.#pool, this.#sql.s)
  }

  async close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    await Promise.allSettled([...this.#inFlight])
    await this.#wakeups.close()
    if (this.#ownsPool) await this.#pool.end()
    this.#onClosed?.()
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError()
  }

  async #track<T>(fn: () => Promise<T>): Promise<T> {
    const op = fn()
    this.#inFlight.add(op)
    try {
      return await op
    } finally {
      this.#inFlight.delete(op)
    }
  }

  async #query<R extends unknown[]>(text: string, values: unknown[]): Promise<R[]> {
    try {
      const result = await this.#pool.query<R>({ text, values, types: queryTypes, rowMode: 'array' })
      return result.rows
    } catch (error) {
      throw closedOr(error, this.#closed)
    }
  }

  async #locate(id: string): Promise<{ streamName: string; revision: number } | undefined> {
    const rows = await this.#query<[string, bigint]>(this.#sql.locate, [id])
    const row = rows[0]
    return row === undefined ? undefined : { streamName: row[0], revision: Number(row[1]) }
  }
}

/** The driver's answer from the append function's rows (one per request, in request order). */
function appendOutcome(requests: readonly DriverAppendRequest[], rows: readonly AppendRow[]): DriverAppendOutcome {
  const results: AppendResult[] = []
  const events: RecordedEvent[] = []
  let offset = 0
  for (const [i, r] of requests.entries()) {
    const row = rows[i]
    if (row === undefined) throw new EventStoreCorruptError(`the append function answered ${rows.length} rows for ${requests.length} requests`)
    const [firstRevision, lastPosition, replayed, txBase, recordedAt] = row
    const first = Number(firstRevision)
    results.push({ nextExpectedRevision: first + r.events.length - 1, position: lastPosition, idempotentReplay: replayed })
    if (!replayed && txBase !== null) {
      for (const [j, e] of r.events.entries()) {
        events.push({
          id: e.id,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          streamName: r.streamName,
          revision: first + j,
          position: txBase | BigInt(offset + j),
          recordedAt,
        })
      }
    }
    offset += r.events.length
  }
  return { results, events }
}

/** Every statement's text, built once per schema. */
function statements(s: string) {
  return {
    s,
    append: `SELECT first_revision, last_position, replayed, tx_base, recorded_at, next_xid FROM ${s}.append($1, $2, $3, $4, $5, $6, $7, $8)`,
    command: `SELECT event_position, event_revision, recorded_at, event_data, event_type, next_xid FROM ${s}.stream_command($1, $2, $3, $4, $5)`,
    readStream: `SELECT * FROM ${s}.read_stream($1, $2, $3, $4)`,
    readAll: `SELECT * FROM ${s}.read_all($1, $2, $3, $4, $5, $6)`,
    streamInfo: `SELECT l.revision, l.position, m.revision, st.deleted_before, st.tombstoned, st.metadata, st.stream_name IS NOT NULL
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (SELECT revision, position FROM ${s}.events WHERE stream_name = $1 ORDER BY revision DESC LIMIT 1) AS l ON true
      LEFT JOIN LATERAL (SELECT revision FROM ${s}.events WHERE stream_name = $2 ORDER BY revision DESC LIMIT 1) AS m ON true
      LEFT JOIN ${s}.streams AS st ON st.stream_name = $1`,
    eventAt: `SELECT ${EVENT_COLUMNS} FROM ${s}.events WHERE position = $1`,
    head: `SELECT max(position) FROM ${s}.events WHERE position < ${HORIZON}`,
    locate: `SELECT stream_name, revision FROM ${s}.events WHERE event_id = $1`,
    loadCheckpoint: `SELECT position, event_id FROM ${s}.checkpoints WHERE subscription_id = $1`,
    storeCheckpoint: `INSERT INTO ${s}.checkpoints (subscription_id, position, event_id, updated_at) VALUES ($1, $2, $3, now())
      ON CONFLICT (subscription_id) DO UPDATE SET position = EXCLUDED.position, event_id = EXCLUDED.event_id, updated_at = now()`,
    deleteCheckpoint: `DELETE FROM ${s}.checkpoints WHERE subscription_id = $1`,
    loadSnapshot: `SELECT position, schema_version, state FROM ${s}.snapshots WHERE key = $1`,
    saveSnapshot: `INSERT INTO ${s}.snapshots (key, position, schema_version, state, updated_at) VALUES ($1, $2, $3, $4, now())
      ON CONFLICT (key) DO UPDATE SET position = EXCLUDED.position, schema_version = EXCLUDED.schema_version, state = EXCLUDED.state, updated_at = now()`,
  }
}
