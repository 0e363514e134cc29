import { InvalidArgumentError } from '../errors.js'
import type { AllFilter } from '../types.js'
import { MAX_EVERY_EVENTS, MAX_EVERY_MS, MAX_SUBSCRIPTION_ID_BYTES } from './limits.js'

/** How often derived progress (a checkpoint, a projection snapshot) is stored. */
export interface EveryPolicy {
  /** Store after this many handled events. Integer 1..{@link MAX_EVERY_EVENTS}. */
  readonly events?: number
  /** Store when this many milliseconds passed since the last store. Integer 1..{@link MAX_EVERY_MS}. */
  readonly ms?: number
}

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder()

/** A durable-subscription id or projection name: 1..200 UTF-8 bytes, well-formed, no NUL. */
export function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty string`)
  const encoded = utf8.encode(name)
  // A lone surrogate is encoded as U+FFFD, so it does not survive the round trip.
  if (utf8Decoder.decode(encoded) !== name) throw new InvalidArgumentError(`${what} is not well-formed Unicode`)
  if (name.includes('\0')) throw new InvalidArgumentError(`${what} must not contain NUL`)
  const bytes = encoded.length
  if (bytes > MAX_SUBSCRIPTION_ID_BYTES) {
    throw new InvalidArgumentError(`${what} is ${bytes} bytes, at most ${MAX_SUBSCRIPTION_ID_BYTES}`)
  }
  return name
}

function checkPrefixes(what: string, list: unknown): readonly string[] | undefined {
  if (list === undefined) return undefined
  if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty array of strings`)
  for (const p of list) if (typeof p !== 'string') throw new InvalidArgumentError(`${what} must hold only strings`)
  return [...(list as string[])]
}

/** A copy of a `$all` filter, checked; `undefined` passes everything (but system events). */
export function checkFilter(filter: unknown): AllFilter | undefined {
  if (filter === undefined) return undefined
  if (typeof filter !== 'object' || filter === null) throw new InvalidArgumentError('filter must be an object')
  const f = filter as AllFilter
  const streamNamePrefix = checkPrefixes('filter.streamNamePrefix', f.streamNamePrefix)
  const eventTypePrefix = checkPrefixes('filter.eventTypePrefix', f.eventTypePrefix)
  return {
    ...(streamNamePrefix === undefined ? {} : { streamNamePrefix }),
    ...(eventTypePrefix === undefined ? {} : { eventTypePrefix }),
  }
}

function checkInt(what: string, value: unknown, max: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${what} must be an integer in 1..${max}`)
  }
  return value
}

/** A copy of an {@link EveryPolicy}, checked; at least one of `events`, `ms`. */
export function checkEvery(what: string, every: unknown): EveryPolicy | undefined {
  if (every === undefined) return undefined
  if (typeof every !== 'object' || every === null) throw new InvalidArgumentError(`${what} must be an object`)
  const e = every as EveryPolicy
  const events = checkInt(`${what}.events`, e.events, MAX_EVERY_EVENTS)
  const ms = checkInt(`${what}.ms`, e.ms, MAX_EVERY_MS)
  if (events === undefined && ms === undefined) throw new InvalidArgumentError(`${what} needs events or ms`)
  return { ...(events === undefined ? {} : { events }), ...(ms === undefined ? {} : { ms }) }
}

/** Does `event` pass `filter` (the same rule drivers apply to `readAll`)? System events never do. */
export function passes(filter: AllFilter | undefined, event: { readonly streamName: string; readonly type: string }): boolean {
  if (event.streamName.startsWith('$')) return false
  if (filter === undefined) return true
  const { streamNamePrefix, eventTypePrefix } = filter
  if (streamNamePrefix !== undefined && !streamNamePrefix.some((p) => event.streamName.startsWith(p))) return false
  if (eventTypePrefix !== undefined && !eventTypePrefix.some((p) => event.type.startsWith(p))) return false
  return true
}
