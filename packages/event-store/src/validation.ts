import { jsonCodec, validateValue } from '@quire/codec'
import type { DriverAppendRequest, ProposedEvent } from './driver.js'
import { AppendTooLargeError, InvalidArgumentError, isEventStoreError } from './errors.js'
import { newEventId, normalizeEventId } from './event-id.js'
import {
  MAX_APPEND_BYTES,
  MAX_APPEND_EVENTS,
  MAX_APPEND_STREAMS,
  MAX_EVENT_BYTES,
  MAX_EVENT_TYPE_BYTES,
  MAX_FILTER_PREFIXES,
  MAX_METADATA_BYTES,
  MAX_STREAM_METADATA_BYTES,
  MAX_STREAM_NAME_BYTES,
  MAX_SUBSCRIPTION_ID_BYTES,
} from './limits.js'
import type { AllFilter, AppendRequest, Direction, ExpectedRevision, StreamMetadata } from './types.js'
import { copyValueFast, UNSUPPORTED, utf8BytesIfWellFormed } from './value-copy.js'

export { newEventId } from './event-id.js'

/*
 * Everything a caller hands the store is checked here, before any driver sees it, so that bad
 * input gets a typed error and nothing is written. What passes is copied: later mutation of the
 * caller's arrays and objects changes nothing in the store.
 */

const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed()

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8')

/** A plain options object (or `undefined`); any key outside `allowed` is refused by name. */
export function checkOptions(value: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${where}: options must be an object`)
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new InvalidArgumentError(`${where}: unknown option ${JSON.stringify(key)}`)
  }
  return value as Record<string, unknown>
}

/**
 * A stream name: a string of 1..{@link MAX_STREAM_NAME_BYTES} UTF-8 bytes with no lone surrogate.
 * Names starting with `$` are the store's (`$$<stream>` holds a stream's metadata and deletes):
 * refused for writes, allowed for reads when `system` is true.
 */
export function validateStreamName(name: unknown, options: { readonly system: boolean }): string {
  if (typeof name !== 'string') throw new InvalidArgumentError('stream name must be a string')
  if (name.length === 0) throw new InvalidArgumentError('stream name must not be empty')
  const bytes = utf8BytesIfWellFormed(name)
  if (bytes < 0) throw new InvalidArgumentError('stream name contains a lone UTF-16 surrogate')
  if (bytes > MAX_STREAM_NAME_BYTES) {
    throw new InvalidArgumentError(`stream name is ${bytes} bytes of UTF-8, at most ${MAX_STREAM_NAME_BYTES} (MAX_STREAM_NAME_BYTES)`)
  }
  if (!options.system && name.startsWith('$')) {
    throw new InvalidArgumentError(`stream name ${JSON.stringify(name)}: names starting with "$" are reserved for system streams`)
  }
  return name
}

/** A durable subscription id or projection name: 1..{@link MAX_SUBSCRIPTION_ID_BYTES} UTF-8 bytes. */
export function validateSubscriptionId(id: unknown, what = 'subscription id'): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty string`)
  if (!isWellFormed(id)) throw new InvalidArgumentError(`${what} contains a lone UTF-16 surrogate`)
  if (utf8Bytes(id) > MAX_SUBSCRIPTION_ID_BYTES) {
    throw new InvalidArgumentError(`${what} is longer than ${MAX_SUBSCRIPTION_ID_BYTES} bytes (MAX_SUBSCRIPTION_ID_BYTES)`)
  }
  return id
}

/** `'any' | 'no_stream' | 'stream_exists' | n` with n a safe integer >= 0. */
export function validateExpectedRevision(value: unknown, name = 'expectedRevision'): ExpectedRevision {
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  throw new InvalidArgumentError(`${name} must be 'any', 'no_stream', 'stream_exists' or an integer >= 0, got ${describe(value)}`)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 64))
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'object') return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`
}

/**
 * Validates a value with `@quire/codec`'s JSON rules and copies it (Dates included). Also
 * refuses lone surrogates, which JSON escapes but a msgpack-encoding backend cannot carry, so
 * every backend accepts the same values. Returns the copy and its encoded size in bytes.
 */
export function copyJsonValue(value: unknown, where: string): { readonly copy: unknown; readonly bytes: number } {
  // One walk for the values it can copy; the reference path below for the rest (value-copy.ts).
  const fast = copyValueFast(value)
  if (fast !== UNSUPPORTED) return fast
  let text: string
  try {
    text = jsonCodec.stringify(value)
    // JSON.stringify writes a lone surrogate as a \udXXX escape and a paired one raw, so only a
    // lone one (or a literal backslash-u text, rare) makes this walk run.
    if (text.includes('\\ud') || text.includes('\\uD')) validateValue(value, 'msgpack')
  } catch (err) {
    const path = (err as { path?: unknown }).path
    const reason = err instanceof Error ? err.message : String(err)
    throw new InvalidArgumentError(`${where}${typeof path === 'string' && path !== '' ? ` at ${path}` : ''}: ${reason}`, { cause: err })
  }
  return { copy: jsonCodec.parse(text), bytes: utf8Bytes(text) }
}

/** Running totals of one append call, so limits hold across the requests of a multi-stream append. */
interface AppendBudget {
  events: number
  bytes: number
  /** The append's first id, then (from the second event on) all its ids: most appends hold one event. */
  firstId: string | undefined
  ids: Set<string> | undefined
}

const newBudget = (): AppendBudget => ({ events: 0, bytes: 0, firstId: undefined, ids: undefined })

/** Records `id` in the budget; false when the append holds it already. */
function addId(budget: AppendBudget, id: string): boolean {
  if (budget.firstId === undefined) {
    budget.firstId = id
    return true
  }
  if (budget.ids === undefined) budget.ids = new Set([budget.firstId])
  if (budget.ids.has(id)) return false
  budget.ids.add(id)
  return true
}

function prepareEvent(event: unknown, where: string, budget: AppendBudget): ProposedEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidArgumentError(`${where} must be an object { type, data, id?, metadata? }`)
  }
  for (const key of Object.keys(event)) {
    if (key !== 'id' && key !== 'type' && key !== 'data' && key !== 'metadata') {
      throw new InvalidArgumentError(`${where}: unknown key ${JSON.stringify(key)}`)
    }
  }
  const { id: rawId, type, data, metadata } = event as Record<string, unknown>

  if (typeof type !== 'string' || type.length === 0) throw new InvalidArgumentError(`${where}.type must be a non-empty string`)
  const typeBytes = utf8BytesIfWellFormed(type)
  if (typeBytes < 0) throw new InvalidArgumentError(`${where}.type contains a lone UTF-16 surrogate`)
  if (typeBytes > MAX_EVENT_TYPE_BYTES) {
    throw new InvalidArgumentError(`${where}.type is ${typeBytes} bytes, at most ${MAX_EVENT_TYPE_BYTES} (MAX_EVENT_TYPE_BYTES)`)
  }

  const id = rawId === undefined ? newEventId() : typeof rawId === 'string' ? normalizeEventId(rawId) : undefined
  if (id === undefined) throw new InvalidArgumentError(`${where}.id must be a UUID (8-4-4-4-12 hex digits), got ${describe(rawId)}`)
  if (!addId(budget, id)) throw new InvalidArgumentError(`${where}.id ${id} appears twice in one append`)

  const dataCopy = copyJsonValue(data, `${where}.data`)
  let metadataCopy: unknown = undefined
  let metadataBytes = 0
  if (metadata !== undefined) {
    const copied = copyJsonValue(metadata, `${where}.metadata`)
    metadataBytes = copied.bytes
    if (metadataBytes > MAX_METADATA_BYTES) throw new AppendTooLargeError('metadata bytes of one event', metadataBytes, MAX_METADATA_BYTES)
    metadataCopy = copied.copy
  }
  const eventBytes = dataCopy.bytes + metadataBytes
  if (eventBytes > MAX_EVENT_BYTES) throw new AppendTooLargeError('bytes of one event', eventBytes, MAX_EVENT_BYTES)
  budget.bytes += eventBytes + typeBytes + 36
  if (budget.bytes > MAX_APPEND_BYTES) throw new AppendTooLargeError('bytes per append', budget.bytes, MAX_APPEND_BYTES)
  return { id, type, data: dataCopy.copy, metadata: metadataCopy }
}

function prepareEvents(events: unknown, where: string, budget: AppendBudget): ProposedEvent[] {
  const list: readonly unknown[] = Array.isArray(events) ? events : [events]
  if (Array.isArray(events) && events.length === 0) throw new InvalidArgumentError(`${where}: no events to append`)
  budget.events += list.length
  if (budget.events > MAX_APPEND_EVENTS) throw new AppendTooLargeError('events per append', budget.events, MAX_APPEND_EVENTS)
  const out: ProposedEvent[] = new Array<ProposedEvent>(list.length)
  for (let i = 0; i < list.length; i++) out[i] = prepareEvent(list[i], `${where}[${i}]`, budget)
  return out
}

const APPEND_OPTIONS = ['expectedRevision']

/** `appendToStream`'s arguments, checked and copied; `measured.bytes` gets their size as `MAX_APPEND_BYTES` counts it. */
export function prepareAppend(streamName: unknown, events: unknown, options: unknown, measured?: { bytes: number }): DriverAppendRequest {
  return readingCallerValues('appendToStream', () => checkedAppend(streamName, events, options, measured))
}

function checkedAppend(streamName: unknown, events: unknown, options: unknown, measured?: { bytes: number }): DriverAppendRequest {
  const name = validateStreamName(streamName, { system: false })
  const opts = checkOptions(options, APPEND_OPTIONS, 'appendToStream')
  const expectedRevision = opts.expectedRevision === undefined ? 'any' : validateExpectedRevision(opts.expectedRevision)
  if (events === undefined || events === null) throw new InvalidArgumentError('appendToStream: events are required')
  const budget = newBudget()
  const prepared = { streamName: name, events: prepareEvents(events, 'events', budget), expectedRevision }
  if (measured !== undefined) measured.bytes = budget.bytes
  return prepared
}

/** `multiStreamAppend`'s requests, checked and copied: distinct streams, ids unique across all; `measured.bytes` as in {@link prepareAppend}. */
export function prepareMultiAppend(requests: unknown, measured?: { bytes: number }): DriverAppendRequest[] {
  return readingCallerValues('multiStreamAppend', () => checkedMultiAppend(requests, measured))
}

function checkedMultiAppend(requests: unknown, measured?: { bytes: number }): DriverAppendRequest[] {
  if (!Array.isArray(requests)) throw new InvalidArgumentError('multiStreamAppend: requests must be an array')
  // The length first: copying a sparse array that claims 2^32 - 1 items would exhaust the heap.
  const length = (requests as readonly unknown[]).length
  if (length === 0) throw new InvalidArgumentError('multiStreamAppend: no requests')
  if (length > MAX_APPEND_STREAMS) throw new AppendTooLargeError('streams per append', length, MAX_APPEND_STREAMS)
  const list = [...(requests as readonly unknown[])]
  const budget = newBudget()
  const names = new Set<string>()
  const prepared = list.map((request, i) => {
    const where = `requests[${i}]`
    const r = checkOptions(request, ['streamName', 'events', 'expectedRevision'], where) as Partial<AppendRequest>
    if (request === undefined) throw new InvalidArgumentError(`${where} must be an object`)
    const streamName = validateStreamName(r.streamName, { system: false })
    if (names.has(streamName)) throw new InvalidArgumentError(`${where}: stream ${JSON.stringify(streamName)} appears twice`)
    names.add(streamName)
    const expectedRevision = r.expectedRevision === undefined ? 'any' : validateExpectedRevision(r.expectedRevision, `${where}.expectedRevision`)
    if (!Array.isArray(r.events)) throw new InvalidArgumentError(`${where}.events must be an array`)
    return { streamName, events: prepareEvents(r.events, `${where}.events`, budget), expectedRevision }
  })
  if (measured !== undefined) measured.bytes = budget.bytes
  return prepared
}

const STREAM_METADATA_KEYS = ['maxAge', 'maxCount', 'truncateBefore', 'custom']

function positiveInteger(value: unknown, min: number, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${describe(value)}`)
  }
  return value
}

/** Stream metadata, checked and copied; `custom` is any codec value. */
export function validateStreamMetadata(metadata: unknown): StreamMetadata {
  return readingCallerValues('setStreamMetadata', () => checkedStreamMetadata(metadata))
}

/**
 * Runs a check-and-copy of the caller's values. A getter or a Proxy trap of theirs that throws
 * means the value cannot be read, which is bad input: `INVALID_ARGUMENT` (with the throw as
 * `cause`), never the bare error from inside the walk. The store's own errors pass through.
 */
function readingCallerValues<T>(where: string, check: () => T): T {
  try {
    return check()
  } catch (err) {
    if (isEventStoreError(err)) throw err
    throw new InvalidArgumentError(`${where}: a value could not be read (${err instanceof Error ? err.message : String(err)})`, { cause: err })
  }
}

function checkedStreamMetadata(metadata: unknown): StreamMetadata {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidArgumentError('stream metadata must be an object { maxAge?, maxCount?, truncateBefore?, custom? }')
  }
  const m = checkOptions(metadata, STREAM_METADATA_KEYS, 'stream metadata')
  const out: { maxAge?: number; maxCount?: number; truncateBefore?: number; custom?: unknown } = {}
  if (m.maxAge !== undefined) out.maxAge = positiveInteger(m.maxAge, 1, 'maxAge (seconds)')
  if (m.maxCount !== undefined) out.maxCount = positiveInteger(m.maxCount, 1, 'maxCount')
  if (m.truncateBefore !== undefined) out.truncateBefore = positiveInteger(m.truncateBefore, 0, 'truncateBefore')
  if (m.custom !== undefined) out.custom = copyJsonValue(m.custom, 'stream metadata custom').copy
  const bytes = copyJsonValue(out, 'stream metadata').bytes
  if (bytes > MAX_STREAM_METADATA_BYTES) throw new AppendTooLargeError('stream metadata bytes', bytes, MAX_STREAM_METADATA_BYTES)
  return out
}

export function validateDirection(value: unknown): Direction {
  if (value === undefined || value === 'forwards') return 'forwards'
  if (value === 'backwards') return 'backwards'
  throw new InvalidArgumentError(`direction must be 'forwards' or 'backwards', got ${describe(value)}`)
}

/** `maxCount` of a read: an integer >= 0, `Infinity` when absent. */
export function validateMaxCount(value: unknown): number {
  if (value === undefined) return Number.POSITIVE_INFINITY
  return positiveInteger(value, 0, 'maxCount')
}

function validatePrefixes(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw new InvalidArgumentError(`filter.${name} must be an array of strings`)
  // The length first, as in prepareMultiAppend.
  const length = (value as readonly unknown[]).length
  if (length === 0) throw new InvalidArgumentError(`filter.${name} must list at least one prefix (leave it out to match everything)`)
  if (length > MAX_FILTER_PREFIXES) throw new InvalidArgumentError(`filter.${name} has more than ${MAX_FILTER_PREFIXES} prefixes (MAX_FILTER_PREFIXES)`)
  const list = [...(value as readonly unknown[])]
  for (const prefix of list) {
    if (typeof prefix !== 'string') throw new InvalidArgumentError(`filter.${name} must be an array of strings`)
  }
  return list as string[]
}

/** An `$all` filter, checked and copied. `includeSystem` lets `$`-stream events through. */
export function validateFilter(value: unknown): AllFilter | undefined {
  if (value === undefined) return undefined
  const f = checkOptions(value, ['streamNamePrefix', 'eventTypePrefix', 'includeSystem'], 'filter')
  const out: { streamNamePrefix?: readonly string[]; eventTypePrefix?: readonly string[]; includeSystem?: boolean } = {}
  const streamNamePrefix = validatePrefixes(f.streamNamePrefix, 'streamNamePrefix')
  const eventTypePrefix = validatePrefixes(f.eventTypePrefix, 'eventTypePrefix')
  if (streamNamePrefix !== undefined) out.streamNamePrefix = streamNamePrefix
  if (eventTypePrefix !== undefined) out.eventTypePrefix = eventTypePrefix
  if (f.includeSystem !== undefined) {
    if (typeof f.includeSystem !== 'boolean') throw new InvalidArgumentError('filter.includeSystem must be a boolean')
    out.includeSystem = f.includeSystem
  }
  return out
}
