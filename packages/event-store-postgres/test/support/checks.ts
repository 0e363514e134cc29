import { createHash } from 'node:crypto'
import type { EventStore, RecordedEvent } from '@quire/event-store'
import { expect } from 'vitest'

/** Every event of `$all` (system events left out), in order. */
export async function readAllEvents(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const e of store.readAll()) out.push(e)
  return out
}

/** What subscriber-child.ts prints for a sequence of events. */
export function digestOf(events: readonly RecordedEvent[]): string {
  const hash = createHash('sha256')
  for (const e of events) hash.update(`${e.position} ${e.id}\n`)
  return hash.digest('hex')
}

/** One acknowledged append as writer-child.ts prints it. */
export interface AckLine {
  readonly s: string[]
  readonly r: number[]
  readonly ids: string[][]
  readonly p: string
}

export const isAck = (line: unknown): line is AckLine => typeof line === 'object' && line !== null && 'ids' in line

/**
 * The invariants of a log written by writer-child.ts processes:
 * - `$all` positions strictly increase and ids are unique;
 * - in `$all` order, each stream's revisions run 0, 1, 2, ... (a later revision never sorts
 *   before an earlier one: the locks are taken before the transaction gets its id);
 * - every acknowledged event is in `$all`, in its stream at the revision the append reported.
 */
export function checkLog(all: readonly RecordedEvent[], acks: readonly AckLine[]): void {
  const next = new Map<string, number>()
  let last = -1n
  const byId = new Map<string, RecordedEvent>()
  for (const e of all) {
    expect(e.position > last, `position ${e.position} after ${last}`).toBe(true)
    last = e.position
    expect(byId.has(e.id), `id ${e.id} twice`).toBe(false)
    byId.set(e.id, e)
    const want = next.get(e.streamName) ?? 0
    expect(e.revision, `stream ${e.streamName} in $all order`).toBe(want)
    next.set(e.streamName, want + 1)
  }
  for (const ack of acks) {
    for (const [k, stream] of ack.s.entries()) {
      for (const [j, id] of ack.ids[k]!.entries()) {
        const e = byId.get(id)
        expect(e, `acknowledged event ${id} missing`).toBeDefined()
        expect(e!.streamName).toBe(stream)
        expect(e!.revision).toBe(ack.r[k]! + j)
      }
    }
  }
}
