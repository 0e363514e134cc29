import { randomUUID } from 'node:crypto'
import { AssertionError, equal } from 'node:assert/strict'
import type { EventStore } from '../event-store.js'
import type { EventData, RecordedEvent } from '../types.js'

/** Every event of an async iterable, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/**
 * Awaits `action` (a promise, or a function that may also throw synchronously) and checks it
 * failed with an error whose `code` is `code`. Returns the error for further checks.
 */
export async function rejectsWithCode(action: Promise<unknown> | (() => unknown), code: string, message?: string): Promise<Error & Record<string, unknown>> {
  let result: unknown
  try {
    result = typeof action === 'function' ? await action() : await action
  } catch (err) {
    const actual = (err as { code?: unknown }).code
    if (actual !== code) {
      throw new AssertionError({ message: `${message ?? 'expected a rejection'}: expected code ${code}, got ${String(actual)} (${String(err)})`, actual, expected: code })
    }
    return err as Error & Record<string, unknown>
  }
  throw new AssertionError({ message: `${message ?? 'expected a rejection'}: expected code ${code}, but it succeeded with ${String(result)}`, actual: result, expected: code })
}

/** `n` events of type `type` with fresh ids and data `{ n: i }`. */
export function events(n: number, type = 'Happened', from = 0): EventData[] {
  return Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type, data: { n: from + i } }))
}

/** The stream's events as `readStream` gives them ([] when it is not found). */
export async function readStreamAll(store: EventStore, streamName: string): Promise<RecordedEvent[]> {
  try {
    return await collect(store.readStream(streamName))
  } catch (err) {
    if ((err as { code?: unknown }).code === 'STREAM_NOT_FOUND') return []
    throw err
  }
}

/** Every event of `$all` (user streams only unless `includeSystem`). */
export function readAllEvents(store: EventStore, includeSystem = false): Promise<RecordedEvent[]> {
  return collect(store.readAll(includeSystem ? { filter: { includeSystem: true } } : undefined))
}

/** Checks that positions strictly increase and revisions follow within each stream. */
export function assertLogShape(all: readonly RecordedEvent[]): void {
  const revisions = new Map<string, number>()
  for (let i = 1; i < all.length; i++) {
    if (all[i]!.position <= all[i - 1]!.position) {
      throw new AssertionError({ message: `positions must strictly increase: ${all[i - 1]!.position} then ${all[i]!.position}` })
    }
  }
  for (const e of all) {
    const last = revisions.get(e.streamName)
    if (last !== undefined) equal(e.revision > last, true, `revisions of ${e.streamName} must increase in $all`)
    revisions.set(e.streamName, e.revision)
  }
}

/** A unique stream name for a case (so cases never depend on each other's names). */
export const streamName = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`
