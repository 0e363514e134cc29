/**
 * A running projection, as `store.project` returns it.
 *
 * `state` and `position` always belong together: `state` is the fold of every event (passing
 * the filter) up to and including `position`.
 */
export interface ProjectionHandle<State> {
  readonly name: string
  readonly mode: 'inline' | 'async'
  /** The current state (the projection's own object: treat it as read-only). */
  readonly state: State
  /** Position of the last event applied; `undefined` before the first. */
  readonly position: bigint | undefined
  /**
   * Why the projection stopped on its own: `evolve` threw (the state stays as it was before
   * that event; its snapshot too). `undefined` while it runs or after `stop()`.
   */
  readonly error: unknown
  /** The error of the last failed snapshot save, if any (saves are retried at the next one). */
  readonly lastPersistError: unknown
  /** False after `stop()`, a failure, or the store's close. */
  readonly running: boolean
  /**
   * Resolves once every event committed before the call is in `state`: at once for inline
   * projections; for async ones when the subscription has read that far.
   * @throws SubscriptionDroppedError the projection stopped before (cause: its error or `CLOSED`).
   */
  catchUp(): Promise<void>
  /**
   * Folds the whole log again from `initialState` and swaps the result in, while appends go
   * on: it ends equal to the fold of the log (events appended during the rebuild included).
   * Inline: `state` keeps following appends until the swap. Resolves after the swap.
   */
  rebuild(): Promise<void>
  /** Stops, saves state + position once more, resolves. Idempotent. */
  stop(): Promise<void>
}
