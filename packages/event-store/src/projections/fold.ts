import type { RecordedEvent } from '../types.js'
import { passes } from '../subscriptions/options.js'
import type { Projection } from './definition.js'

/** A projection's state with the place it covers. */
export interface Fold<State> {
  state: State
  /** Last applied event (passing the filter). */
  position: bigint | undefined
  eventId: string | undefined
  /** Every event at or below this position was considered (applied or filtered out). */
  scanned: bigint | undefined
}

/** A fold from nothing. */
export const emptyFold = <State>(projection: Projection<State>): Fold<State> => ({
  state: projection.initialState(),
  position: undefined,
  eventId: undefined,
  scanned: undefined,
})

/**
 * Applies `events` (in position order) that the fold has not considered yet; those at or
 * below `fold.scanned` were, and are skipped: this is what lets one event reach a fold both
 * through a read of the log and through the commit hook without being applied twice.
 * Returns how many were applied. `evolve` throwing leaves the fold at the event before.
 */
export function applyEvents<State>(projection: Projection<State>, fold: Fold<State>, events: readonly RecordedEvent[]): number {
  let applied = 0
  for (const e of events) {
    if (fold.scanned !== undefined && e.position <= fold.scanned) continue
    if (passes(projection.filter, e)) {
      fold.state = projection.evolve(fold.state, e)
      fold.position = e.position
      fold.eventId = e.id
      applied += 1
    }
    fold.scanned = e.position
  }
  return applied
}
