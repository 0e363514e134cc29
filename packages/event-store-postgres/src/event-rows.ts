import { jsonCodec } from '@quire/codec'
import { EventStoreCorruptError, type RecordedEvent } from '@quire/event-store'

/** The columns every event read selects, in this order (rows are read as arrays). */
export const EVENT_COLUMNS = 'position, stream_name, revision, event_id, type, data, metadata, recorded_at'

/** One row of {@link EVENT_COLUMNS} as `pg` returns it with {@link queryTypes}. */
export type EventRow = [bigint, string, bigint, string, string, string, string | null, Date]

/**
 * A row as a {@link RecordedEvent}. `data` and `metadata` are decoded by `@quire/codec`'s JSON
 * codec (Dates revived); SQL NULL metadata is `undefined` (appended without metadata), JSON
 * `null` is `null`.
 *
 * @throws `EventStoreCorruptError` when a value does not decode: the table holds something this
 * package did not write.
 */
export function recordedEvent(row: EventRow): RecordedEvent {
  const [position, streamName, revision, id, type, data, metadata, recordedAt] = row
  try {
    return {
      id,
      type,
      data: jsonCodec.parse(data),
      metadata: metadata === null ? undefined : jsonCodec.parse(metadata),
      streamName,
      revision: Number(revision),
      position,
      recordedAt,
    }
  } catch (error) {
    throw new EventStoreCorruptError(`event at position ${position}: data or metadata does not decode`, { cause: error })
  }
}
