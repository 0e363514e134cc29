import { msgpackCodec } from '@quire/codec'
import type { WalOp } from '@quire/wal'
import type { StoredEvent } from '../commit-log.js'
import { EventStoreCorruptError, InvalidArgumentError } from '../errors.js'
import { assertCommitMarker, assertRead, assertWritable } from './event-checks.js'
import { uuidToWords } from '../event-id.js'
import { EncodedValue } from '../local/encoded-value.js'
import { FALLBACK, MsgpackReader } from '../msgpack-reader.js'
import { MsgpackWriter } from './msgpack-writer.js'

/**
 * How the WAL backend stores an event (FORMAT.md, "WAL backend"): one `put` per event, key = the
 * stream name in UTF-8, value = a msgpack array
 * `[1, k, n, id, revision, type, recordedAtMs, data]` (+ `metadata` as a 9th item when present).
 * `1` is this layout's version; `[k, n]` says the entry is the k-th of its commit's n events. An
 * array, not a map: replay decodes every event at open, and an array has no key strings to decode.
 */
export const WAL_VALUE_VERSION = 1

const utf8Strict = new TextDecoder('utf-8', { fatal: true })

const writer = new MsgpackWriter()
/** Per event of the commit being encoded, relative to the commit's start: where its key starts and ends, where its value starts and ends. */
let bounds = new Int32Array(4 * 64)

/**
 * Commits are written into slabs of SLAB_BYTES shared by many commits (as Node pools small
 * Buffers), and the WAL operations are views of them: a commit costs no buffer of its own and no
 * copy. The WAL copies the bytes into its group buffer; a slab is garbage once the last commit
 * written into it has settled.
 */
const SLAB_BYTES = 256 * 1024
/** A commit starts in a fresh slab when fewer bytes than this are left. */
const SLAB_MIN_ROOM = 4096

/** The WAL operations of one commit, in position order. @throws `InvalidArgumentError` */
export function encodeWalCommit(events: readonly StoredEvent[]): WalOp[] {
  const n = events.length
  if (bounds.length < 4 * n) bounds = new Int32Array(4 * n)
  writer.beginPiece(SLAB_MIN_ROOM, SLAB_BYTES)
  let keyStream: string | undefined
  let keyStart = 0
  let keyEnd = 0
  for (let i = 0; i < n; i++) {
    const e = events[i]!
    assertWritable(e, `events[${i}]`)
    // Events of one stream in a row share their key's bytes.
    if (e.streamName !== keyStream) {
      keyStream = e.streamName
      keyStart = writer.pos - writer.start
      if (!writer.utf8(e.streamName)) throw new InvalidArgumentError(`events[${i}]: the stream name holds a lone surrogate`)
      keyEnd = writer.pos - writer.start
    }
    const valueStart = writer.pos - writer.start
    if (!writeEvent(e, i + 1, n)) {
      // Not a value the writer takes: the codec encodes it, or refuses it with its own error.
      writer.pos = writer.start + valueStart
      writer.raw(encodeWithCodec(e, i + 1, n, i))
    }
    bounds[4 * i] = keyStart
    bounds[4 * i + 1] = keyEnd
    bounds[4 * i + 2] = valueStart
    bounds[4 * i + 3] = writer.pos - writer.start
  }
  const slab = writer.bytes
  const base = writer.start
  const ops: WalOp[] = new Array<WalOp>(n)
  let key = slab
  for (let i = 0; i < n; i++) {
    if (i === 0 || bounds[4 * i] !== bounds[4 * i - 4]) key = slab.subarray(base + bounds[4 * i]!, base + bounds[4 * i + 1]!)
    ops[i] = { op: 'put', key, value: slab.subarray(base + bounds[4 * i + 2]!, base + bounds[4 * i + 3]!) }
  }
  writer.shrink()
  return ops
}

/** `[1, k, n, id, revision, type, recordedAtMs, data]` (+ metadata); false when a value is not one the writer takes. */
function writeEvent(e: StoredEvent, k: number, n: number): boolean {
  writer.arrayHeader(e.metadata === undefined ? 8 : 9)
  writer.number(WAL_VALUE_VERSION)
  writer.number(k)
  writer.number(n)
  if (!writer.string(e.id)) return false
  writer.number(e.revision)
  if (!writer.string(e.type)) return false
  writer.number(e.recordedAtMs)
  // The item array is the root (depth 0): data and metadata are one level down.
  if (!writer.value(e.data, 1)) return false
  return e.metadata === undefined || writer.value(e.metadata, 1)
}

function encodeWithCodec(e: StoredEvent, k: number, n: number, i: number): Uint8Array {
  const item: unknown[] = [WAL_VALUE_VERSION, k, n, e.id, e.revision, e.type, e.recordedAtMs, e.data]
  if (e.metadata !== undefined) item.push(e.metadata)
  try {
    return msgpackCodec.encode(item)
  } catch (err) {
    // The facade validates with the JSON rules; msgpack also refuses lone surrogates.
    throw new InvalidArgumentError(`events[${i}]: a value msgpack cannot keep`, { cause: err })
  }
}

/** One decoded WAL entry: the event and its place in its commit. @throws `EventStoreCorruptError` */
export function decodeWalEntry(seq: number, key: Uint8Array, value: Uint8Array | null): { k: number; n: number; event: StoredEvent } {
  const decoder = new WalEntryDecoder()
  const event = decoder.decode(seq, key, value)
  return { k: decoder.k, n: decoder.n, event }
}

/**
 * Decodes WAL entries one after the other (replay): after each {@link WalEntryDecoder.decode},
 * `k` and `n` say the event's place in its commit. Values as the store writes them are read by
 * a {@link MsgpackReader} (one pass, frozen values, consecutive events of one stream share its
 * name); anything else, damage included, goes through `msgpackCodec` and the checks of
 * {@link decodeWithCodec}, so what is refused and why stays the same.
 */
export class WalEntryDecoder {
  k = 0
  n = 0
  readonly #reader = new MsgpackReader()
  #lastKey: Uint8Array | undefined
  #lastName = ''
  readonly #encodedData: boolean
  /** With `encodedData`: the id of the event last decoded, as four words (its `id` is then ''). */
  readonly idWords = new Uint32Array(4)

  /**
   * `encodedData` (LocalDriver.open, encoded-value.ts): leave an event's `data` encoded (an
   * {@link EncodedValue}, checked to decode) when it is one the reader takes, except in system
   * streams, whose data open needs; and give its id as words in `idWords`, its `id` being ''.
   */
  constructor(options: { readonly encodedData?: boolean } = {}) {
    this.#encodedData = options.encodedData === true
  }

  /** @throws `EventStoreCorruptError` */
  decode(seq: number, key: Uint8Array, value: Uint8Array | null): StoredEvent {
    if (value !== null) {
      const event = this.#fast(key, value)
      if (event !== undefined) return event
    }
    const decoded = decodeWithCodec(seq, key, value)
    this.k = decoded.k
    this.n = decoded.n
    if (this.#encodedData) {
      // The reference path checked the id is a lowercase UUID.
      uuidToWords(decoded.event.id, this.idWords, 0)
      return { ...decoded.event, id: '' }
    }
    return decoded.event
  }

  /** The event when every part of it is as the store writes it; `undefined` sends it to the reference path. */
  #fast(key: Uint8Array, value: Uint8Array): StoredEvent | undefined {
    const r = this.#reader
    r.reset(value)
    const items = r.arrayHeader()
    if ((items !== 8 && items !== 9) || r.uint() !== WAL_VALUE_VERSION) return undefined
    const k = r.uint()
    const n = r.uint()
    if (k < 1 || k > n) return undefined
    const idAt = r.stringBytes()
    if (idAt < 0 || r.pos - idAt !== 36) return undefined
    let id: string | undefined
    if (this.#encodedData) id = lowercaseUuidWordsAt(r.bytes(), idAt, this.idWords) ? '' : undefined
    else id = lowercaseUuidAt(r.bytes(), idAt)
    if (id === undefined) return undefined
    const revision = r.uint()
    const type = r.string()
    const recordedAtMs = r.number()
    if (revision < 0 || type === FALLBACK || type === '' || Number.isNaN(recordedAtMs)) return undefined
    const streamName = this.#streamName(key)
    if (streamName === undefined) return undefined
    let data: unknown
    const dataAt = r.pos
    if (this.#encodedData && streamName.charCodeAt(0) !== 36 /* $ */ && r.skipValue(1)) {
      data = new EncodedValue(r.bytes(), dataAt, r.pos)
    } else {
      r.pos = dataAt
      data = r.value(1)
      if (data === FALLBACK) return undefined
    }
    const metadata = items === 9 ? r.value(1) : undefined
    if (metadata === FALLBACK || r.pos !== r.end) return undefined
    this.k = k
    this.n = n
    return { id, streamName, revision, type, data, metadata, recordedAtMs }
  }

  /** The key as a stream name: the previous one when the bytes are the same (events come in runs of one stream). */
  #streamName(key: Uint8Array): string | undefined {
    const last = this.#lastKey
    // byteLength read once: the getter is not free in a loop.
    const length = key.byteLength
    if (last !== undefined && last.byteLength === length) {
      let i = 0
      while (i < length && last[i] === key[i]) i++
      if (i === length) return this.#lastName
    }
    let name: string
    try {
      name = utf8Strict.decode(key)
    } catch {
      return undefined
    }
    if (name === '') return undefined
    this.#lastKey = key
    this.#lastName = name
    return name
  }
}

/** 1 for the char code of a lowercase hex digit, else 0. */
const LOWER_HEX = new Uint8Array(256)
for (const c of '0123456789abcdef') LOWER_HEX[c.charCodeAt(0)] = 1

/** 1 when the 4 bytes at `at` are lowercase hex digits, else 0 (straight-line: no loop, no branch). */
const hex4 = (b: Uint8Array, at: number): number => LOWER_HEX[b[at]!]! & LOWER_HEX[b[at + 1]!]! & LOWER_HEX[b[at + 2]!]! & LOWER_HEX[b[at + 3]!]!

/**
 * The 36 bytes at `at` as a string when they are a lowercase UUID (8-4-4-4-12), else `undefined`.
 * Every event of the log goes through here at open: the check is table lookups without a loop
 * (a loop with a branch per byte measured ~170 ns), and `String.fromCharCode` with the 36 codes
 * as arguments makes one flat string (~50 ns, against ~110 ns through an array and `apply`).
 */
function lowercaseUuidAt(b: Uint8Array, at: number): string | undefined {
  const ok =
    hex4(b, at) & hex4(b, at + 4) & hex4(b, at + 9) & hex4(b, at + 14) & hex4(b, at + 19) & hex4(b, at + 24) & hex4(b, at + 28) & hex4(b, at + 32)
  if (ok === 0 || b[at + 8] !== 45 || b[at + 13] !== 45 || b[at + 18] !== 45 || b[at + 23] !== 45) return undefined
  // prettier-ignore
  return String.fromCharCode(
    b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!, b[at + 4]!, b[at + 5]!, b[at + 6]!, b[at + 7]!, b[at + 8]!,
    b[at + 9]!, b[at + 10]!, b[at + 11]!, b[at + 12]!, b[at + 13]!, b[at + 14]!, b[at + 15]!, b[at + 16]!, b[at + 17]!,
    b[at + 18]!, b[at + 19]!, b[at + 20]!, b[at + 21]!, b[at + 22]!, b[at + 23]!, b[at + 24]!, b[at + 25]!, b[at + 26]!,
    b[at + 27]!, b[at + 28]!, b[at + 29]!, b[at + 30]!, b[at + 31]!, b[at + 32]!, b[at + 33]!, b[at + 34]!, b[at + 35]!,
  )
}

/** Value of each lowercase hex digit's char code, -1 for any other byte. */
const LOWER_NIBBLE = new Int8Array(256).fill(-1)
for (let d = 0; d < 16; d++) LOWER_NIBBLE['0123456789abcdef'.charCodeAt(d)] = d

/** 16 bits from the 4 lowercase hex digits at `at`, or a negative number. */
function hex16(b: Uint8Array, at: number): number {
  const n = LOWER_NIBBLE
  const d0 = n[b[at]!]!
  const d1 = n[b[at + 1]!]!
  const d2 = n[b[at + 2]!]!
  const d3 = n[b[at + 3]!]!
  return (d0 | d1 | d2 | d3) < 0 ? -1 : (d0 << 12) | (d1 << 8) | (d2 << 4) | d3
}

/**
 * The 36 bytes at `at`, when they are a lowercase UUID, as four 32-bit words in `out` (as
 * `uuidToWords` makes them from the string); false otherwise. Open takes ids this way: the index
 * keeps words, and a string made only to be parsed back cost ~0.1 µs per event.
 */
function lowercaseUuidWordsAt(b: Uint8Array, at: number, out: Uint32Array): boolean {
  const h0 = hex16(b, at)
  const h1 = hex16(b, at + 4)
  const h2 = hex16(b, at + 9)
  const h3 = hex16(b, at + 14)
  const h4 = hex16(b, at + 19)
  const h5 = hex16(b, at + 24)
  const h6 = hex16(b, at + 28)
  const h7 = hex16(b, at + 32)
  if ((h0 | h1 | h2 | h3 | h4 | h5 | h6 | h7) < 0) return false
  if (b[at + 8] !== 45 || b[at + 13] !== 45 || b[at + 18] !== 45 || b[at + 23] !== 45) return false
  out[0] = ((h0 << 16) | h1) >>> 0
  out[1] = ((h2 << 16) | h3) >>> 0
  out[2] = ((h4 << 16) | h5) >>> 0
  out[3] = ((h6 << 16) | h7) >>> 0
  return true
}

/** The reference decoding of an entry: `msgpackCodec`, then every check (exported for tests). @throws `EventStoreCorruptError` */
export function decodeWithCodec(seq: number, key: Uint8Array, value: Uint8Array | null): { k: number; n: number; event: StoredEvent } {
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
