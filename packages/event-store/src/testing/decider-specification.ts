import { AssertionError, deepStrictEqual } from 'node:assert/strict'

/** What `decide` may return: one event, several (`[]`: nothing), or a promise of those. */
export type Decision<Event> = Event | readonly Event[] | Promise<Event | readonly Event[]>

/** A decider (Emmett's / Jérémie Chassaing's shape): pure `decide` and `evolve` over a state. */
export interface Decider<Command, Event, State, Result extends Decision<Event> = Decision<Event>> {
  /** What a command decides in a state: the events to append (or a promise of them). */
  readonly decide: (command: Command, state: State) => Result
  /** The state after an event. */
  readonly evolve: (state: State, event: Event) => State
  /** The state of a stream with no events. */
  readonly initialState: () => State
}

/** `void` for a synchronous `decide`, `Promise<void>` for an async one: await it then. */
export type Verdict<Result> = Result extends PromiseLike<unknown> ? Promise<void> : void

/** The `then` step (Emmett's name): compares what the decider did with what was expected. */
export interface DeciderThen<Event, Result> {
  /**
   * Passes when `decide` returned exactly `expected` (one event or a list), in order, compared
   * with `node:assert`'s `deepStrictEqual`.
   * @throws AssertionError otherwise (also when `decide` threw: its error is the `cause`).
   */
  then(expected: Event | readonly Event[]): Verdict<Result>
  /**
   * Passes when `decide` threw: with no argument, any error; with a predicate, an error it
   * accepts; with an error class (and optionally a predicate), an instance of it.
   * @throws AssertionError when `decide` did not throw or threw something else.
   */
  thenThrows<E extends Error>(...args: [] | [predicate: (error: E) => boolean] | [errorType: new (...a: never[]) => E, predicate?: (error: E) => boolean]): Verdict<Result>
  /** Passes when `decide` returned no event (`[]`). */
  thenNothingHappened(): Verdict<Result>
}

/** The `when` step. Do not `await` its result (it has a `then` method): call one of its steps. */
export interface DeciderWhen<Command, Event, Result> {
  /** The command to decide, in the state the given events fold to. */
  when(command: Command): DeciderThen<Event, Result>
}

type Outcome<Event> = { readonly ok: true; readonly events: readonly Event[] } | { readonly ok: false; readonly error: unknown }

const asList = <Event>(events: Event | readonly Event[]): readonly Event[] => (Array.isArray(events) ? (events as readonly Event[]) : [events as Event])

const isPromise = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error))

/**
 * Given / when / then tests for a decider, after Emmett's `DeciderSpecification`:
 *
 * ```ts
 * const given = DeciderSpecification.for({ decide, evolve, initialState })
 * given([{ type: 'Opened', data: {} }]).when({ type: 'Deposit', amount: 10 }).then([{ type: 'Deposited', data: { amount: 10 } }])
 * given([]).when({ type: 'Withdraw', amount: 10 }).thenThrows((e) => e.message === 'closed')
 * ```
 *
 * The given events are folded with `evolve` from `initialState()`; `decide(command, state)` is
 * called once per check. Synchronous deciders give synchronous checks; an async `decide` gives
 * checks that return a promise (await them).
 */
export const DeciderSpecification = {
  /** Binds a decider; returns `given(events)`, which starts a check. */
  for<Command, Event, State, Result extends Decision<Event> = Decision<Event>>(
    decider: Decider<Command, Event, State, Result>,
  ): (given: Event | readonly Event[]) => DeciderWhen<Command, Event, Result> {
    return (given) => ({
      when(command) {
        // Runs the decider; sync when decide is, else a promise of the outcome.
        const run = (): Outcome<Event> | Promise<Outcome<Event>> => {
          let result: Result
          try {
            const state = asList(given).reduce(decider.evolve, decider.initialState())
            result = decider.decide(command, state)
          } catch (error) {
            return { ok: false, error }
          }
          if (!isPromise(result)) return { ok: true, events: asList(result as Event | readonly Event[]) }
          return Promise.resolve(result).then(
            (events) => ({ ok: true, events: asList(events as Event | readonly Event[]) }),
            (error: unknown) => ({ ok: false, error }),
          )
        }
        const check = (verify: (outcome: Outcome<Event>) => void): Verdict<Result> => {
          const outcome = run()
          return (isPromise(outcome) ? Promise.resolve(outcome).then(verify) : verify(outcome)) as Verdict<Result>
        }
        const decided = (outcome: Outcome<Event>): readonly Event[] => {
          if (!outcome.ok) {
            throw new AssertionError({ message: `decide threw ${describe(outcome.error)}`, actual: outcome.error, operator: 'then' })
          }
          return outcome.events
        }
        return {
          then: (expected) =>
            check((outcome) => {
              deepStrictEqual(decided(outcome), asList(expected), 'decide returned other events than expected')
            }),
          thenNothingHappened: () =>
            check((outcome) => {
              deepStrictEqual(decided(outcome), [], 'decide returned events; expected none')
            }),
          thenThrows: (...args) =>
            check((outcome) => {
              if (outcome.ok) throw new AssertionError({ message: 'decide did not throw', actual: outcome.events, operator: 'thenThrows' })
              const { error } = outcome
              const [first, second] = args
              if (first === undefined) return
              const isClass = typeof first === 'function' && ((first as unknown) === Error || first.prototype instanceof Error)
              if (isClass && !(error instanceof (first as new (...a: never[]) => Error))) {
                throw new AssertionError({ message: `decide threw ${describe(error)}, not a ${first.name}`, actual: error, operator: 'thenThrows' })
              }
              const predicate = (isClass ? second : first) as ((e: Error) => boolean) | undefined
              if (predicate !== undefined && !predicate(error as Error)) {
                throw new AssertionError({ message: `decide threw ${describe(error)}, which the predicate refused`, actual: error, operator: 'thenThrows' })
              }
            }),
        }
      },
    })
  },
}
