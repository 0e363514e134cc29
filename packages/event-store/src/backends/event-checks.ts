import type { StoredEvent } from '../commit-log.js'
import { EventStoreCorruptError, InvalidArgumentError } from '../errors.js'
import { isLowercaseUuid } from '../event-id.js'

/**
 * Checks an event right before it is encoded for a log (TIGER_STYLE: assert data right before
 * writing it). The facade and the LocalDriver have validated it already; a failure here is a bug
 * above, refused before anything is written.
 *
 * @throws `InvalidArgumentError`
 */
export function assertWritable(event: StoredEvent, where: string): void {
  const problem = eventProblem(event)
  if (problem !== undefined) throw new InvalidArgumentError(`${where}: ${problem}`)
}

/**
 * Checks an event right after it was decoded from a log.
 *
 * @throws `EventStoreCorruptError` naming `where`
 */
export function assertRead(event: StoredEvent, where: string): StoredEvent {
  const problem = eventProblem(event)
  if (problem !== undefined) throw new EventStoreCorruptError(`${where}: ${problem}`)
  return event
}

function eventProblem(e: StoredEvent): string | undefined {
  if (typeof e.id !== 'string' || !isLowercaseUuid(e.id)) return 'event id is not a lowercase UUID'
  if (typeof e.streamName !== 'string' || e.streamName.length === 0) return 'stream name is not a non-empty string'
  if (!Number.isSafeInteger(e.revision) || e.revision < 0) return 'revision is not a non-negative safe integer'
  if (typeof e.type !== 'string' || e.type.length === 0) return 'event type is not a non-empty string'
  if (typeof e.recordedAtMs !== 'number' || !Number.isFinite(e.recordedAtMs)) return 'recordedAtMs is not a finite number'
  if (e.data === undefined) return 'event data is missing'
  return undefined
}

/**
 * Checks a commit's place marker `[k, n]` (the k-th of n events, 1-based) read from a log.
 *
 * @throws `EventStoreCorruptError`
 */
export function assertCommitMarker(k: unknown, n: unknown, where: string): { k: number; n: number } {
  if (!Number.isSafeInteger(k) || !Number.isSafeInteger(n) || (k as number) < 1 || (k as number) > (n as number)) {
    throw new EventStoreCorruptError(`${where}: commit marker [${String(k)}, ${String(n)}] is not [k, n] with 1 <= k <= n`)
  }
  return { k: k as number, n: n as number }
}

/** A bigint position as a safe integer for the logs' number fields. */
export function positionNumber(position: bigint, what: string): number {
  if (position < 0n || position > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${what} ${position} is outside 0 .. 2^53 - 1`)
  }
  return Number(position)
}
