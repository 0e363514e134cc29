import { InvalidArgumentError } from '../errors.js'
import type { AllFilter } from '../types.js'
import { MAX_EVERY_EVENTS, MAX_EVERY_MS } from './limits.js'

/** How often derived progress (a checkpoint, a projection snapshot) is stored. */
export interface EveryPolicy {
  /** Store after this many handled events. Integer 1..{@link MAX_EVERY_EVENTS}. */
  readonly events?: number
  /** Store when this many milliseconds passed since the last store. Integer 1..{@link MAX_EVERY_MS}. */
  readonly ms?: number
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

/**
 * Does `event` pass `filter` (the rule drivers apply to `readAll`)? System (`$`) events only
 * with `includeSystem`.
 */
export function passes(filter: AllFilter | undefined, event: { readonly streamName: string; readonly type: string }): boolean {
  if (event.streamName.startsWith('$') && filter?.includeSystem !== true) return false
  if (filter === undefined) return true
  const { streamNamePrefix, eventTypePrefix } = filter
  if (streamNamePrefix !== undefined && !streamNamePrefix.some((p) => event.streamName.startsWith(p))) return false
  if (eventTypePrefix !== undefined && !eventTypePrefix.some((p) => event.type.startsWith(p))) return false
  return true
}
