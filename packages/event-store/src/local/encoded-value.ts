import type { LoggedCommit } from '../commit-log.js'

/*
 * Events replayed with their `data` still encoded, for open: decoding the data of every event of
 * a large log, and keeping a million small objects for the garbage collector to trace, was a
 * fifth of the open time, while most of those events are never read afterwards. A log that can
 * (the WAL's) offers a replay whose events carry their `data` as an {@link EncodedValue}; the
 * index keeps the bytes and decodes them the first time the event is read. Internal: nothing of
 * this leaves the package; `CommitLog.replay` still yields decoded events.
 */

/** The method a commit log offers for {@link LocalDriver.open}'s replay with encoded data. */
export const REPLAY_ENCODED: unique symbol = Symbol('replay with encoded data')

/**
 * A commit of that replay: its events' ids are in `idWords` (four 32-bit words each, as
 * `uuidToWords` makes them: the index keeps ids as words) and their `id` fields are ''.
 */
export interface EncodedCommit extends LoggedCommit {
  readonly idWords: Uint32Array
}

/** A commit log with a replay whose events may carry their `data` encoded. */
export interface EncodedReplay {
  /** As `CommitLog.replay()`, but an event's `data` may be an {@link EncodedValue}, and ids are words. */
  [REPLAY_ENCODED](): AsyncIterable<EncodedCommit>
}

export function hasEncodedReplay(log: object): log is EncodedReplay {
  return typeof (log as Partial<EncodedReplay>)[REPLAY_ENCODED] === 'function'
}

/**
 * An event's `data` as msgpack bytes, `bytes[start, end)`, already checked to be a value
 * `MsgpackReader.value` reads (`MsgpackReader.skipValue` said so): decoding it later cannot fail.
 */
export class EncodedValue {
  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}
}
