import type { StoredEvent } from '../commit-log.js'
import { EventStoreCorruptError } from '../errors.js'
import { assertCommitMarker, assertRead, assertWritable } from './event-checks.js'

/**
 * How the NDJSON backend stores an event (FORMAT.md, "NDJSON backend"): one record per event,
 * `{"id","stream","revision","type","data","metadata"?,"recordedAtMs","commit":[k,n]}`, the
 * k-th of its commit's n events. Readable with `jq` as it is.
 */
export interface NdjsonEventRecord {
  readonly id: string
  readonly stream: string
  readonly revision: number
  readonly type: string
  readonly data: unknown
  readonly metadata?: unknown
  readonly recordedAtMs: number
  readonly commit: readonly [number, number]
}

/** The records of one commit, in position order. @throws `InvalidArgumentError` */
export function encodeNdjsonCommit(events: readonly StoredEvent[]): NdjsonEventRecord[] {
  const n = events.length
  return events.map((e, i) => {
    assertWritable(e, `events[${i}]`)
    const base = { id: e.id, stream: e.streamName, revision: e.revision, type: e.type, data: e.data }
    const commit: readonly [number, number] = [i + 1, n]
    return e.metadata === undefined
      ? { ...base, recordedAtMs: e.recordedAtMs, commit }
      : { ...base, metadata: e.metadata, recordedAtMs: e.recordedAtMs, commit }
  })
}

/** One decoded record: the event and its place in its commit. @throws `EventStoreCorruptError` */
export function decodeNdjsonRecord(seq: number, record: unknown): { k: number; n: number; event: StoredEvent } {
  const where = `NDJSON record ${seq}`
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new EventStoreCorruptError(`${where}: not an event object`)
  }
  const r = record as Partial<Record<keyof NdjsonEventRecord, unknown>>
  if (!Array.isArray(r.commit) || r.commit.length !== 2) throw new EventStoreCorruptError(`${where}: no commit marker [k, n]`)
  if (!('data' in r)) throw new EventStoreCorruptError(`${where}: no data`)
  const { k, n } = assertCommitMarker(r.commit[0], r.commit[1], where)
  const event = assertRead(
    {
      id: r.id as string,
      streamName: r.stream as string,
      revision: r.revision as number,
      type: r.type as string,
      data: r.data,
      metadata: r.metadata,
      recordedAtMs: r.recordedAtMs as number,
    },
    where,
  )
  return { k, n, event }
}
