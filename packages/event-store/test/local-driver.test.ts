import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { EventStore, LocalDriver, memoryBackend, type CommitLog, type LoggedCommit, type SideStore, type StoredEvent } from '@quire/event-store'
import { storeInternals } from '../src/event-store.js'

/** A commit log holding crafted commits: what a damaged or foreign log would replay. */
class FixedLog implements CommitLog {
  readonly poisoned = false
  closed = false
  constructor(readonly commits: LoggedCommit[], readonly lastPosition: bigint = commits.reduce((n, c) => n + BigInt(c.events.length), 0n)) {}
  append(): Promise<{ readonly firstPosition: bigint }> {
    return Promise.reject(new Error('read-only fixture'))
  }
  async *replay(): AsyncIterable<LoggedCommit> {
    yield* this.commits
  }
  async close(): Promise<void> {
    this.closed = true
  }
}

const side: SideStore = {
  loadCheckpoint: async () => undefined,
  storeCheckpoint: async () => undefined,
  loadSnapshot: async () => undefined,
  saveSnapshot: async () => undefined,
  close: async () => undefined,
}

const ev = (streamName: string, revision: number, more: Partial<StoredEvent> = {}): StoredEvent => ({
  id: randomUUID(),
  streamName,
  revision,
  type: 'T',
  data: { n: revision },
  metadata: undefined,
  recordedAtMs: 1_700_000_000_000,
  ...more,
})

async function openCode(commits: LoggedCommit[], lastPosition?: bigint): Promise<string> {
  const log = new FixedLog(commits, lastPosition)
  try {
    await LocalDriver.open({ name: 'fixture', log, side })
  } catch (err) {
    expect(log.closed).toBe(true)
    return String((err as { code?: unknown }).code)
  }
  return 'ok'
}

describe('LocalDriver replay refuses a log it did not write', () => {
  it('accepts a well-formed log', async () => {
    expect(await openCode([{ firstPosition: 1n, events: [ev('a', 0), ev('b', 0)] }, { firstPosition: 3n, events: [ev('a', 1)] }])).toBe('ok')
  })

  it.each([
    ['a hole in positions', [{ firstPosition: 1n, events: [ev('a', 0)] }, { firstPosition: 3n, events: [ev('a', 1)] }]],
    ['an overlap in positions', [{ firstPosition: 1n, events: [ev('a', 0), ev('a', 1)] }, { firstPosition: 2n, events: [ev('a', 2)] }]],
    ['a first position other than 1', [{ firstPosition: 2n, events: [ev('a', 0)] }]],
    ['a revision out of sequence', [{ firstPosition: 1n, events: [ev('a', 0), ev('a', 2)] }]],
    ['a stream starting past revision 0', [{ firstPosition: 1n, events: [ev('a', 1)] }]],
    ['an id twice', (() => {
      const id = randomUUID()
      return [{ firstPosition: 1n, events: [ev('a', 0, { id })] }, { firstPosition: 2n, events: [ev('b', 0, { id })] }]
    })()],
    ['an unknown system event', [{ firstPosition: 1n, events: [ev('$$a', 0, { type: '$bogus', data: {} })] }]],
    ['a malformed system event', [{ firstPosition: 1n, events: [ev('$$a', 0, { type: '$deleted', data: { deletedBefore: -1 } })] }]],
    ['a $ stream that is not a $$ stream', [{ firstPosition: 1n, events: [ev('$other', 0)] }]],
    ['an event after a tombstone', [{ firstPosition: 1n, events: [ev('$$a', 0, { type: '$tombstone', data: {} })] }, { firstPosition: 2n, events: [ev('a', 0)] }]],
    ['an empty commit', [{ firstPosition: 1n, events: [] }]],
  ])('%s is CORRUPT', async (_what, commits) => {
    expect(await openCode(commits)).toBe('CORRUPT')
  })

  it('a log whose lastPosition disagrees with what it replayed is CORRUPT', async () => {
    expect(await openCode([{ firstPosition: 1n, events: [ev('a', 0)] }], 2n)).toBe('CORRUPT')
  })
})

describe('commits reach in-process listeners in position order, before the append resolves', () => {
  it('under concurrent appends to many streams', async () => {
    await using store = await EventStore.open({ backend: memoryBackend() })
    const seen: bigint[] = []
    const resolvedBeforeSeen: string[] = []
    storeInternals(store).onCommitted((events) => {
      for (const e of events) seen.push(e.position)
    })
    const appends = Array.from({ length: 200 }, (_, i) =>
      store.appendToStream(`s${i % 17}`, [{ type: 'T', data: i }, { type: 'U', data: i }]).then((r) => {
        if (!seen.includes(r.position)) resolvedBeforeSeen.push(`${r.position}`)
      }),
    )
    await Promise.all(appends)
    await store.setStreamMetadata('s1', { maxCount: 3 })
    expect(resolvedBeforeSeen).toEqual([])
    expect(seen).toEqual(Array.from({ length: 401 }, (_, i) => BigInt(i + 1)))
  })
})

describe('failures leave memory as it was', () => {
  it('a rolled-back commit leaves no gap and no trace; an outcome-unknown one poisons until reopen', async () => {
    const backend = memoryBackend()
    let store = await EventStore.open({ backend })
    await store.appendToStream('a', { type: 'T', data: 1 })
    backend.failNextAppend('rolled-back')
    const lost = { id: randomUUID(), type: 'T', data: 2 }
    await expect(store.appendToStream('a', lost)).rejects.toMatchObject({ code: 'APPEND_FAILED' })
    expect(await store.getStreamState('a')).toEqual({ state: 'exists', revision: 0 })
    expect(store.lastPosition).toBe(1n)
    // The id was not taken: the same event can go to another stream.
    expect((await store.appendToStream('b', lost)).position).toBe(2n)

    backend.failNextAppend('written')
    await expect(store.appendToStream('a', { type: 'T', data: 3 })).rejects.toMatchObject({ code: 'APPEND_FAILED' })
    expect(await store.getStreamState('a')).toEqual({ state: 'exists', revision: 0 })
    await expect(store.deleteStream('a')).rejects.toMatchObject({ code: 'POISONED' })
    await store.close()
    store = await EventStore.open({ backend })
    expect(await store.getStreamState('a')).toEqual({ state: 'exists', revision: 1 })
    expect(store.lastPosition).toBe(3n)
    await store.close()
  })
})
