import { createHash } from 'node:crypto'
import { jsonCodec } from '@quire/codec'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend, type EventStoreBackend, type JsonValue, type RecordedEvent } from '@quire/event-store'
import { CliError } from './cli-error.js'
import { isPostgresUrl } from './detect.js'
import { codeOf } from './plain-error.js'
import type { Progress } from './progress.js'
import type { TargetBackend } from './target-backends.js'

/*
 * Moving an event store between backends through the public API: every event of `$all` (system
 * events included) is appended to an empty target in the same order, so an embedded target gives
 * every event the position it had (positions are 1, 2, 3, … in append order, with no hole), each
 * stream the same revisions, and every event its id. Stream commands (`$$<stream>` system events:
 * metadata, soft delete, tombstone) are replayed as the same commands. The target's clock is the
 * source event's `recordedAt` while it is appended (the embedded backends' `now` option).
 *
 * What the API cannot carry: a commit's grouping (readAll does not say which events were one
 * commit; consecutive events of one stream with one timestamp are appended together), the ids of
 * system events (stream commands take no id), positions into or out of PostgreSQL (there a
 * position is `(transaction id << 16) | index`), recordedAt into PostgreSQL (the server's clock),
 * durable-subscription checkpoints and snapshots (the state directory is not copied).
 */

/** The first line of an export file. */
export interface ExportHeader {
  readonly format: 'quire-event-export'
  readonly version: 1
  /** The kind of the source store (`event-store-wal`, …). */
  readonly source: string
  /** Whether the source's positions are 1, 2, 3, … (an embedded store) and so can be kept. */
  readonly gapFreePositions: boolean
}

/**
 * The last line of an export file: how many events precede it and the last one's position. An
 * export cut off (a failed read, a killed pipe) has no trailer, and import refuses it.
 */
export interface ExportTrailer {
  readonly format: 'quire-event-export-end'
  /** Event lines between the header and this line. */
  readonly events: number
  /** The last event's position; `null` for an export of an empty store. */
  readonly lastPosition: number | null
}

/** One event of an export: a `RecordedEvent` with its position as a number. */
export interface ExportedEvent {
  readonly position: number
  readonly streamName: string
  readonly revision: number
  readonly id: string
  readonly type: string
  readonly data: JsonValue
  readonly metadata?: JsonValue
  readonly recordedAt: Date
}


const SYSTEM_PREFIX = '$$'
const MAX_GROUP_EVENTS = 500
const MAX_GROUP_BYTES = 4 * 1024 * 1024

/** A recorded event as an export record. */
export function exportedOf(e: RecordedEvent): ExportedEvent {
  if (e.position > BigInt(Number.MAX_SAFE_INTEGER)) throw new CliError('UNSUPPORTED', `position ${e.position} is beyond 2^53 - 1`)
  return {
    position: Number(e.position),
    streamName: e.streamName,
    revision: e.revision,
    id: e.id,
    type: e.type,
    data: e.data,
    ...(e.metadata !== undefined ? { metadata: e.metadata } : {}),
    recordedAt: e.recordedAt,
  }
}

/** An export line (Dates as `{"$date": …}`, which the event store refuses as data, so it is unambiguous). */
export const exportLine = (value: ExportHeader | ExportTrailer | ExportedEvent): string => jsonCodec.stringify(value) + '\n'

/** Parses one export line. */
export function parseExportLine(line: string, lineNumber: number): ExportHeader | ExportTrailer | ExportedEvent {
  let value: unknown
  try {
    value = jsonCodec.parse(line)
  } catch (err) {
    throw new CliError('INVALID_ARGUMENT', `line ${lineNumber} of the export is not JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  const v = value as Partial<ExportedEvent> & { format?: unknown; version?: unknown; events?: unknown; lastPosition?: unknown }
  if (v.format === 'quire-event-export-end') {
    if (typeof v.events !== 'number' || !(typeof v.lastPosition === 'number' || v.lastPosition === null)) throw new CliError('EXPORT_INCOMPLETE', `line ${lineNumber}: the export's end line has no event count or last position`)
    return v as ExportTrailer
  }
  if (v.format === 'quire-event-export') {
    if (v.version !== 1) throw new CliError('UNSUPPORTED_VERSION', `export format version ${String(v.version)} is newer than this release reads`)
    return v as unknown as ExportHeader
  }
  if (typeof v.position !== 'number' || typeof v.streamName !== 'string' || typeof v.revision !== 'number' || typeof v.id !== 'string' || typeof v.type !== 'string' || !(v.recordedAt instanceof Date) || !('data' in v)) {
    throw new CliError('INVALID_ARGUMENT', `line ${lineNumber} of the export is not an exported event (position, streamName, revision, id, type, data, recordedAt)`)
  }
  return v as unknown as ExportedEvent
}

/** A digest of what must survive a move (position only when `withPosition`). */
export function eventDigest(e: ExportedEvent, withPosition: boolean, withId: boolean, withTime: boolean): string {
  const h = createHash('sha256')
  h.update(jsonCodec.stringify([withPosition ? e.position : 0, e.streamName, e.revision, withId ? e.id : '', e.type, e.data, e.metadata ?? null, withTime ? e.recordedAt : 0]))
  return h.digest('base64')
}

/** The clock the target reads while an event is appended. */
interface Clock {
  at: number
}

/** Opens a new, empty target event store, refusing one that holds anything. */
export async function openTarget(path: string, backend: TargetBackend | undefined, schema: string, clock: Clock): Promise<EventStore> {
  const kind = backend ?? (isPostgresUrl(path) ? 'postgres' : undefined)
  if (kind === undefined) throw new CliError('INVALID_ARGUMENT', 'say which backend the new store uses: --backend wal | ndjson | record-keeper (a postgres:// target needs none)')
  if ((kind === 'postgres') !== isPostgresUrl(path)) throw new CliError('INVALID_ARGUMENT', kind === 'postgres' ? '--backend postgres needs a postgres:// connection string' : `a postgres:// target needs --backend postgres, not ${kind}`)
  const now = (): number => clock.at
  let b: EventStoreBackend
  if (kind === 'wal') b = walBackend(path, { errorIfExists: true, now })
  else if (kind === 'ndjson') b = ndjsonBackend(path, { errorIfExists: true, now })
  else if (kind === 'record-keeper') b = recordKeeperBackend(path, { errorIfExists: true, now })
  else b = (await import('@quire/event-store-postgres')).postgresBackend({ connectionString: path, schema, migrate: true, listen: false })
  let store: EventStore
  try {
    store = await EventStore.open({ backend: b })
  } catch (err) {
    if (codeOf(err) === 'EXISTS') throw new CliError('TARGET_NOT_EMPTY', `${path} is not empty: import only into a new path or an empty directory`, { cause: err })
    throw err
  }
  if (store.lastPosition !== undefined) {
    await store.close()
    throw new CliError('TARGET_NOT_EMPTY', `${path}${kind === 'postgres' ? ` (schema ${schema})` : ''} already holds events: import only into a new, empty one`)
  }
  return store
}

interface Group {
  stream: string
  recordedAtMs: number
  nextRevision: number
  bytes: number
  events: { id: string; type: string; data: JsonValue; metadata?: JsonValue }[]
}

/** What {@link appendEvents} did. */
export interface AppendTally {
  events: number
  appends: number
}

/**
 * Appends `events` (in `$all` order) to the empty `target`: consecutive events of one stream with
 * consecutive revisions and one `recordedAt` go in one append; `$$` system events become the
 * stream command they record.
 */
export async function appendEvents(target: EventStore, events: AsyncIterable<ExportedEvent>, clock: Clock, progress: Progress): Promise<AppendTally> {
  const tally: AppendTally = { events: 0, appends: 0 }
  let group: Group | undefined
  const flush = async (): Promise<void> => {
    if (group === undefined) return
    const g = group
    group = undefined
    clock.at = g.recordedAtMs
    await target.appendToStream(g.stream, g.events, { expectedRevision: 'any' })
    tally.appends++
    progress.tick(g.events.length)
  }
  for await (const e of events) {
    tally.events++
    if (e.streamName.startsWith(SYSTEM_PREFIX) && e.streamName.length > SYSTEM_PREFIX.length) {
      await flush()
      clock.at = e.recordedAt.getTime()
      await replayCommand(target, e)
      tally.appends++
      progress.tick()
      continue
    }
    const size = jsonCodec.stringify([e.data, e.metadata ?? null]).length + 200
    const fits = group !== undefined && group.stream === e.streamName && group.nextRevision === e.revision && group.recordedAtMs === e.recordedAt.getTime() && group.events.length < MAX_GROUP_EVENTS && group.bytes + size < MAX_GROUP_BYTES
    if (!fits) {
      await flush()
      group = { stream: e.streamName, recordedAtMs: e.recordedAt.getTime(), nextRevision: e.revision, bytes: 0, events: [] }
    }
    const g = group!
    g.events.push({ id: e.id, type: e.type, data: e.data, ...(e.metadata !== undefined ? { metadata: e.metadata } : {}) })
    g.nextRevision++
    g.bytes += size
  }
  await flush()
  return tally
}

async function replayCommand(target: EventStore, e: ExportedEvent): Promise<void> {
  const stream = e.streamName.slice(SYSTEM_PREFIX.length)
  const data = e.data as Record<string, JsonValue> | null
  switch (e.type) {
    case '$metadata':
      await target.setStreamMetadata(stream, (data ?? {}))
      return
    case '$deleted':
      await target.deleteStream(stream)
      return
    case '$tombstone':
      await target.tombstoneStream(stream)
      return
    default:
      throw new CliError('UNSUPPORTED', `position ${e.position}: system event type ${e.type} in ${e.streamName} is not a stream command this release knows`)
  }
}

/** Every event of `$all`, system events included, as export records. */
export async function* allEvents(store: EventStore): AsyncIterable<ExportedEvent> {
  for await (const e of store.readAll({ filter: { includeSystem: true } })) yield exportedOf(e)
}
