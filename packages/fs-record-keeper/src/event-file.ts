import { crc32 } from '@quire/codec'
import { isUuid, UUID_CHARS } from './ids.js'
import { hex8 } from './hex8.js'

const MAGIC_FIELD = '{"format":"quire-rk-event/1","id":"'
const NEXT_FIELD = '","next":'
const EVENT_FIELD = ',"event":'
const CRC_FIELD = ',"crc32":"'
const END = '"}\n'

/** Bytes before `NEXT` (see FORMAT.md): 80. */
const NEXT_OFFSET = MAGIC_FIELD.length + UUID_CHARS + NEXT_FIELD.length
/** The fixed suffix: `,"crc32":"` + hex8 + `"}\n`. */
export const EVENT_SUFFIX_BYTES = CRC_FIELD.length + 8 + END.length
/** The smallest possible event file (event `{}`). */
const MIN_EVENT_FILE_BYTES = NEXT_OFFSET + 4 + EVENT_FIELD.length + 2 + EVENT_SUFFIX_BYTES

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** What an event file holds, with the event still as its stored JSON text. */
export interface EventRecord {
  readonly id: string
  readonly next: string | null
  /** The event exactly as stored (jsonCodec text); re-used verbatim when the file is relinked. */
  readonly eventJson: string
}

/** The bytes of an event file (see FORMAT.md). */
export function encodeEventFile(record: EventRecord): Uint8Array {
  const next = record.next === null ? 'null' : `"${record.next}"`
  const body = utf8.encode(`${MAGIC_FIELD}${record.id}${NEXT_FIELD}${next}${EVENT_FIELD}${record.eventJson}`)
  const tail = utf8.encode(`${CRC_FIELD}${hex8(crc32(body))}${END}`)
  const out = new Uint8Array(body.byteLength + tail.byteLength)
  out.set(body, 0)
  out.set(tail, body.byteLength)
  return out
}

/** The size of the file {@link encodeEventFile} would write, without building it. */
export function eventFileBytes(eventJsonBytes: number, hasNext: boolean): number {
  return NEXT_OFFSET + (hasNext ? UUID_CHARS + 2 : 4) + EVENT_FIELD.length + eventJsonBytes + EVENT_SUFFIX_BYTES
}

/**
 * Decodes and checks an event file: length, fixed fields, crc32, ids, and that the event text is
 * an object's JSON (parsing it is left to the reader, once). Returns `undefined` for anything damaged (the caller knows the path to report).
 */
export function decodeEventFile(bytes: Uint8Array): EventRecord | undefined {
  if (bytes.byteLength < MIN_EVENT_FILE_BYTES) return undefined
  const bodyEnd = bytes.byteLength - EVENT_SUFFIX_BYTES
  let suffix: string
  let body: string
  try {
    suffix = strictUtf8.decode(bytes.subarray(bodyEnd))
    body = strictUtf8.decode(bytes.subarray(0, bodyEnd))
  } catch {
    return undefined
  }
  if (!suffix.startsWith(CRC_FIELD) || !suffix.endsWith(END)) return undefined
  if (suffix.slice(CRC_FIELD.length, CRC_FIELD.length + 8) !== hex8(crc32(bytes.subarray(0, bodyEnd)))) {
    return undefined
  }
  if (!body.startsWith(MAGIC_FIELD)) return undefined
  const id = body.slice(MAGIC_FIELD.length, MAGIC_FIELD.length + UUID_CHARS)
  if (!isUuid(id) || body.slice(MAGIC_FIELD.length + UUID_CHARS, NEXT_OFFSET) !== NEXT_FIELD) return undefined
  let next: string | null
  let at: number
  if (body.startsWith('null', NEXT_OFFSET)) {
    next = null
    at = NEXT_OFFSET + 4
  } else {
    const quoted = body.slice(NEXT_OFFSET, NEXT_OFFSET + UUID_CHARS + 2)
    next = quoted.slice(1, -1)
    if (quoted.charAt(0) !== '"' || quoted.charAt(UUID_CHARS + 1) !== '"' || !isUuid(next)) return undefined
    at = NEXT_OFFSET + UUID_CHARS + 2
  }
  if (!body.startsWith(EVENT_FIELD, at)) return undefined
  const eventJson = body.slice(at + EVENT_FIELD.length)
  // The crc vouches for the JSON: it was checked before it was written. Readers parse it once.
  if (!eventJson.startsWith('{') || !eventJson.endsWith('}')) return undefined
  return { id, next, eventJson }
}

const NEWER_EVENT_FILE = /^\{"format":"quire-rk-event\/([1-9]\d{0,8})"/

/**
 * The format version of an event file a newer release wrote (its magic with a version above 1),
 * or `undefined`. Such a file is not damaged: this release cannot read it and must not remove it.
 */
export function newerEventFileVersion(bytes: Uint8Array): number | undefined {
  const head = new TextDecoder().decode(bytes.subarray(0, 40))
  const m = NEWER_EVENT_FILE.exec(head)
  const version = m === null ? undefined : Number(m[1])
  return version !== undefined && version > 1 ? version : undefined
}
