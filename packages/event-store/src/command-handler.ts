import type { AggregateSnapshotOptions, AggregateStreamOptions, AggregateStreamResult } from './aggregate/aggregate-stream.js'
import { InvalidArgumentError, WrongExpectedVersionError } from './errors.js'
import { DEFAULT_COMMAND_RETRIES, MAX_COMMAND_RETRIES } from './subscriptions/limits.js'
import type { AppendResult, EventData, ExpectedRevision, RecordedEvent } from './types.js'

/** An event as `decide` returns it and `evolve` reads it: what both a decided and a recorded event carry. */
export type DecidedEvent<Type extends string = string, Data = unknown, Meta = unknown> = EventData<Type, Data, Meta>

/** The two store methods a command handler uses (an `EventStore` has them). */
export interface CommandStore {
  /** See `EventStore.aggregateStream`. */
  aggregateStream<State, Event extends RecordedEvent = RecordedEvent>(
    streamName: string,
    options: AggregateStreamOptions<State, Event>,
  ): Promise<AggregateStreamResult<State>>
  /** See `EventStore.appendToStream`. */
  appendToStream(streamName: string, events: readonly EventData[], options: { readonly expectedRevision: ExpectedRevision }): Promise<AppendResult>
}

/** Options of {@link CommandHandler} (Emmett's `CommandHandler` options). */
export interface CommandHandlerOptions<State, Event extends DecidedEvent> {
  /** A fresh state for a stream with no events. */
  readonly initialState: () => State
  /**
   * Applies one event. It receives recorded events when loading and, for `newState`, the
   * decided events themselves, so it should read only `type`, `data` and `metadata`.
   */
  readonly evolve: (state: State, event: Event) => State
  /**
   * How many times a `WRONG_EXPECTED_VERSION` is answered by reloading and deciding again
   * before it is thrown. Integer 0..{@link MAX_COMMAND_RETRIES}; default 3 (so at most 4
   * attempts).
   */
  readonly maxRetries?: number
  /** Load through a snapshot (see `aggregateStream`). */
  readonly snapshot?: AggregateSnapshotOptions<State>
}

/** What `decide` may return: nothing to do (`[]`), one event, several, or a promise of those. */
export type DecideResult<Event> = Event | readonly Event[] | Promise<Event | readonly Event[]>

/** What a handled command resolves with. */
export interface CommandResult<State, Event> {
  /** The loaded state with the new events folded in. */
  readonly newState: State
  /** The events `decide` returned, as it returned them (empty: nothing was appended). */
  readonly newEvents: readonly Event[]
  /**
   * Revision of the stream's last event after the append; with nothing appended, what was
   * loaded (`'no_stream'` for a stream without events). Pass it as the next `expectedRevision`.
   */
  readonly nextExpectedRevision: number | 'no_stream'
  /** Position of the last appended event; `undefined` when nothing was appended. */
  readonly position: bigint | undefined
}

/** A configured command handler: load, decide, append with the revision read, retry on conflict. */
export type HandleCommand<State, Event extends DecidedEvent> = (
  store: CommandStore,
  streamName: string,
  decide: (state: State) => DecideResult<Event>,
) => Promise<CommandResult<State, Event>>

/**
 * Emmett's `CommandHandler`: loads the stream's state with `aggregateStream`, calls `decide`
 * with it, appends what it decided with `expectedRevision` = the revision it loaded (or
 * `'no_stream'`), and on `WRONG_EXPECTED_VERSION` (someone appended meanwhile) reloads and
 * decides again, up to `maxRetries` times; then the error is thrown. Any other error (from
 * `decide`, `evolve`, the store) is thrown at once. `decide` may thus run several times: keep
 * it free of side effects.
 *
 * @example
 * const handle = CommandHandler({ initialState: () => ({ balance: 0 }), evolve })
 * await handle(store, 'account-7', (s) => ({ type: 'Deposited', data: { amount: 10 } }))
 * @throws InvalidArgumentError bad options (at configuration).
 */
export function CommandHandler<State, Event extends DecidedEvent = DecidedEvent>(
  options: CommandHandlerOptions<State, Event>,
): HandleCommand<State, Event> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('CommandHandler options must be an object')
  const { initialState, evolve, snapshot } = options
  const maxRetries = options.maxRetries ?? DEFAULT_COMMAND_RETRIES
  if (typeof initialState !== 'function' || typeof evolve !== 'function') throw new InvalidArgumentError('initialState and evolve must be functions')
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > MAX_COMMAND_RETRIES) {
    throw new InvalidArgumentError(`maxRetries must be an integer in 0..${MAX_COMMAND_RETRIES}`)
  }
  const load: AggregateStreamOptions<State> = {
    initialState,
    // Recorded events carry type, data and metadata: what evolve is documented to read.
    evolve: (state, event) => evolve(state, event as unknown as Event),
    ...(snapshot === undefined ? {} : { snapshot }),
  }

  return async (store, streamName, decide) => {
    if (typeof decide !== 'function') throw new InvalidArgumentError('decide must be a function')
    for (let attempt = 0; ; attempt += 1) {
      const loaded = await store.aggregateStream(streamName, load)
      const decided = await decide(loaded.state)
      const newEvents: readonly Event[] = Array.isArray(decided) ? [...(decided as readonly Event[])] : [decided as Event]
      const newState = newEvents.reduce(evolve, loaded.state)
      if (newEvents.length === 0) return { newState, newEvents, nextExpectedRevision: loaded.currentRevision, position: undefined }
      const expectedRevision: ExpectedRevision = loaded.streamExists ? loaded.currentRevision : 'no_stream'
      try {
        const result = await store.appendToStream(streamName, newEvents, { expectedRevision })
        return { newState, newEvents, nextExpectedRevision: result.nextExpectedRevision, position: result.position }
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= maxRetries) throw error
      }
    }
  }
}
