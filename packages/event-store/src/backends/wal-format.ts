import { msgpackCodec } from '@quire/codec'
import type { WalOp } from '@quire/wal'
import type { StoredEvent } from '../commit-log.js'
import { EventStoreCorruptError, InvalidArgumentError } from '../errors.js'
import { assertCommitMarker, assertRead, assertWritable } from './event-checks.js'

/**
 * How the WAL backend stores an event (FORMAT.md, "WAL backend"): one `put` per event, key = the
 * stream name in UTF-8, value = a msgpack array
 * `[1, k, n, id, revision, type, recordedAtMs, data]` (+ `metadata` as a 9th item when present).
 * `1` is this layout's version; `[k, n]` says the entry is the k-th of its commit's n events. An
 * array, not a map: replay decodes every event at open, and an array has no key strings to decode.
 */
export const WAL_VALUE_VERSION = 1

const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })

/** The WAL operations of one commit, in position order. @throws `InvalidArgumentError` */
export function encodeWalCommit(events: readonly StoredEvent[]): WalOp[] {
  const n = events.length
  const ops: WalOp[] = []
  let key: Uint8Array | undefined
  let keyStream: string | undefined
  for (let i = 0; i < n; i++) {
    const e = events[i]!
    assertWritable(e, `events[${i}]`)
    if (e.streamName !== keyStream) {
      keyStream = e.streamName
      key = utf8.encode(e.streamName)
    }
    const item: unknown[] = [WAL_VALUE_VERSION, i + 1, n, e.id, e.revision, e.type, e.recordedAtMs, e.data]
    if (e.metadata !== undefined) item.push(e.metadata)
    let value: Uint8Array
    try {
      value = msgpackCodec.encode(item)
    } catch (err) {
      // The facade validates with the JSON rules; msgpack also refuses lone surrogates.
      throw new InvalidArgumentError(`events[${i}]: a value msgpack cannot keep`, { cause: err })
    }
    ops.push({ op: 'put', key: key!, value })
  }
  return ops
}

/** One decoded WAL entry: the event and its place in its commit. @throws `EventStoreCorruptError` */
export function decodeWalEntry(seq: number, key: Uint8Array, value: Uint8Array | null): { k: number; n: number; event: StoredEvent } {
  const where = `WAL entry ${seq}`
  if (value === null) throw new EventStoreCorruptError(`${where}: a delete entry; the event store writes only puts`)
  let streamName: string
  let item: unknown
  try {
    streamName = utf8Strict.decode(key)
    item = msgpackCodec.decode(value)
  } catch (err) {
    throw new EventStoreCorruptError(`${where}: not an event (${err instanceof Error ? err.message : String(err)})`, { cause: err })
  }
  if (!Array.isArray(item) || (item.length !== 8 && item.length !== 9)) {
    throw new EventStoreCorruptError(`${where}: not an event array of 8 or 9 items`)
  }
  if (item[0] !== WAL_VALUE_VERSION) throw new EventStoreCorruptError(`${where}: unknown event layout version ${String(item[0])}`)
  const { k, n } = assertCommitMarker(item[1], item[2], where)
  const event = assertRead(
    {
      id: item[3] as string,
      streamName,
      revision: item[4] as number,
      type: item[5] as string,
      recordedAtMs: item[6] as number,
      data: item[7],
      metadata: item[8],
    },
    where,
  )
  return { k, n, event }
}
