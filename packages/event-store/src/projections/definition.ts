import { InvalidArgumentError } from '../errors.js'
import type { AllFilter, RecordedEvent } from '../types.js'
import { MAX_SCHEMA_VERSION } from '../subscriptions/limits.js'
import { checkEvery, type EveryPolicy } from '../subscriptions/options.js'
import { validateFilter, validateSubscriptionId } from '../validation.js'

/** When a projection's state and position are saved (one snapshot, `@quire/snapshots`-backed). */
export interface PersistPolicy {
  /** Save after this many applied events and/or this many ms since the last save. */
  readonly every: EveryPolicy
}

/**
 * A projection: a fold of `$all` (or of the events passing `filter`) into one state, kept by
 * the store. Emmett's `evolve`/`initialState` shape; the seed's `LiveProjection`.
 */
export interface Projection<State> {
  /** Unique per store: 1..200 UTF-8 bytes. Names its snapshot (`proj:<name>`). */
  readonly name: string
  /**
   * Integer 0..2^32-1. A snapshot saved under another version is not used: bumping the version
   * rebuilds the state from the start of the log.
   */
  readonly version: number
  /** A fresh state (called for every rebuild; must not return a shared object you mutate). */
  readonly initialState: () => State
  /**
   * Applies one event. Synchronous. It may return a new state or the same (mutated) one; the
   * store copies the state (`structuredClone`) before it saves it.
   */
  readonly evolve: (state: State, event: RecordedEvent) => State
  /** Which events it sees; system (`$`) events are never passed. Default: every user event. */
  readonly filter?: AllFilter
  /**
   * When state + position are saved. Default: inline projections every
   * {@link INLINE_PROJECTION_DEFAULT_PERSIST_EVENTS} events; async ones after each page read.
   * Both also save when they stop (or the store closes). The state must be a value
   * `@quire/codec`'s JSON codec accepts for the save to succeed; a failed save never stops the
   * projection (it only costs replay at the next open).
   */
  readonly persist?: PersistPolicy
}

/**
 * Checks and freezes a projection definition.
 * @throws InvalidArgumentError bad name, version, functions, filter or persist policy.
 */
export function defineProjection<State>(projection: Projection<State>): Projection<State> {
  if (typeof projection !== 'object' || projection === null) throw new InvalidArgumentError('projection must be an object')
  const name = validateSubscriptionId(projection.name, 'projection name')
  const { version, initialState, evolve } = projection
  if (!Number.isInteger(version) || version < 0 || version > MAX_SCHEMA_VERSION) {
    throw new InvalidArgumentError(`projection version must be an integer in 0..${MAX_SCHEMA_VERSION}`)
  }
  if (typeof initialState !== 'function') throw new InvalidArgumentError('projection initialState must be a function')
  if (typeof evolve !== 'function') throw new InvalidArgumentError('projection evolve must be a function')
  const filter = validateFilter(projection.filter)
  let persist: PersistPolicy | undefined
  if (projection.persist !== undefined) {
    if (typeof projection.persist !== 'object' || projection.persist === null) throw new InvalidArgumentError('persist must be an object')
    const every = checkEvery('persist.every', projection.persist.every)
    if (every === undefined) throw new InvalidArgumentError('persist.every is required')
    persist = { every }
  }
  return Object.freeze({
    name,
    version,
    initialState,
    evolve,
    ...(filter === undefined ? {} : { filter }),
    ...(persist === undefined ? {} : { persist }),
  })
}
