/**
 * `@quire/event-store/testing`: test helpers for code built on the event store.
 */
export { DeciderSpecification } from './decider-specification.js'
export type { Decider, DeciderThen, DeciderWhen, Decision, Verdict } from './decider-specification.js'
