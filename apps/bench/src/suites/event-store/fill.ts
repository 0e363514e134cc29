import type { EventStore } from '@quire/event-store'
import type { Deposited } from './emmett-peers.js'

/** Stores built for reads and recovery: commits of STREAMS_PER_COMMIT streams × EVENTS_PER_STREAM events. */
export const STREAMS_PER_COMMIT = 100
export const EVENTS_PER_STREAM = 10

export const event = (i: number): Deposited => ({ type: 'Deposited', data: { amount: i % 1000, currency: 'EUR' } })

/**
 * Fills `store` with `n` events: commits of 100 new streams × 10 events each (multiStreamAppend),
 * streams named `${tag}-${commit}-${k}`; the last commit is smaller when `n` is not a multiple of
 * 1 000, and `n` is rounded up to whole streams of 10. Calls `progress(events so far)` after each commit.
 */
export async function fill(store: EventStore, n: number, tag: string, progress?: (done: number) => void): Promise<void> {
  const perCommit = STREAMS_PER_COMMIT * EVENTS_PER_STREAM
  const events = Array.from({ length: EVENTS_PER_STREAM }, (_, i) => event(i))
  for (let done = 0, c = 0; done < n; done += perCommit, c++) {
    const streams = Math.min(STREAMS_PER_COMMIT, Math.ceil((n - done) / EVENTS_PER_STREAM))
    await store.multiStreamAppend(
      Array.from({ length: streams }, (_, s) => ({ streamName: `${tag}-${c}-${s}`, events, expectedRevision: 'no_stream' as const })),
    )
    progress?.(done + streams * EVENTS_PER_STREAM)
  }
}
