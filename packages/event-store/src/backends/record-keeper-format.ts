import { jsonCodec } from '@quire/codec'
import type { LoggedCommit, StoredEvent } from '../commit-log.js'
import { EventStoreCorruptError, InvalidArgumentError } from '../errors.js'
import { assertRead, assertWritable, positionNumber } from './event-checks.js'

/**
 * How the record-keeper backend stores a commit (FORMAT.md, "Record-keeper backend"): ONE
 * record-keeper event per commit, `{"id":<commit uuid>,"firstPosition":<n>,"events":[...]}`, each
 * event `{"id","stream","revision","type","data","metadata"?,"recordedAtMs"}`. One record keeper
 * `add` is one file: the only atomic unit it has.
 */
// Type aliases, not interfaces: the record keeper takes records with an index signature.
export type RecordKeeperCommit = {
  readonly id: string
  readonly firstPosition: number
  readonly events: readonly RecordKeeperEventEntry[]
}

type RecordKeeperEventEntry = {
  readonly id: string
  readonly stream: string
  readonly revision: number
  readonly type: string
  readonly data: unknown
  readonly metadata?: unknown
  readonly recordedAtMs: number
}

/**
 * The record of one commit and the UTF-8 length of its JSON, validated the way the record keeper
 * will (so its `add` cannot refuse it after a position was given).
 *
 * @throws `InvalidArgumentError`
 */
export function encodeRecordKeeperCommit(
  commitId: string,
  firstPosition: bigint,
  events: readonly StoredEvent[],
): { record: RecordKeeperCommit; jsonBytes: number } {
  const entries = events.map((e, i): RecordKeeperEventEntry => {
    assertWritable(e, `events[${i}]`)
    const base = { id: e.id, stream: e.streamName, revision: e.revision, type: e.type, data: e.data }
    return e.metadata === undefined ? { ...base, recordedAtMs: e.recordedAtMs } : { ...base, metadata: e.metadata, recordedAtMs: e.recordedAtMs }
  })
  const record: RecordKeeperCommit = { id: commitId, firstPosition: positionNumber(firstPosition, 'firstPosition'), events: entries }
  let json: string
  try {
    json = jsonCodec.stringify(record)
  } catch (err) {
    throw new InvalidArgumentError(`a value JSON cannot keep: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  return { record, jsonBytes: Buffer.byteLength(json, 'utf8') }
}

/** A commit read back. @throws `EventStoreCorruptError` */
export function decodeRecordKeeperCommit(value: unknown): LoggedCommit & { readonly id: string } {
  if (typeof value !== 'object' || value === null) throw new EventStoreCorruptError('record keeper: a commit record is not an object')
  const r = value as Partial<Record<keyof RecordKeeperCommit, unknown>>
  const where = `record-keeper commit ${String(r.id)}`
  if (typeof r.id !== 'string') throw new EventStoreCorruptError(`${where}: no id`)
  if (!Number.isSafeInteger(r.firstPosition) || (r.firstPosition as number) < 1) {
    throw new EventStoreCorruptError(`${where}: firstPosition is not a positive safe integer`)
  }
  if (!Array.isArray(r.events) || r.events.length === 0) throw new EventStoreCorruptError(`${where}: no events`)
  const events = (r.events as unknown[]).map((item, i): StoredEvent => {
    if (typeof item !== 'object' || item === null || !('data' in item)) throw new EventStoreCorruptError(`${where}: events[${i}] is not an event`)
    const e = item as Partial<Record<keyof RecordKeeperEventEntry, unknown>>
    return assertRead(
      {
        id: e.id as string,
        streamName: e.stream as string,
        revision: e.revision as number,
        type: e.type as string,
        data: e.data,
        metadata: e.metadata,
        recordedAtMs: e.recordedAtMs as number,
      },
      `${where}, events[${i}]`,
    )
  })
  return { id: r.id, firstPosition: BigInt(r.firstPosition as number), events }
}
