// CommandHandler (Emmett's shape): load with aggregateStream, decide, append with the revision
// read; on WRONG_EXPECTED_VERSION reload and decide again up to maxRetries, then surface it.
import { afterEach, describe, expect, it } from 'vitest'
import { EventStore, memoryBackend, WrongExpectedVersionError, type RecordedEvent } from '../src/index.js'
import { CommandHandler, type DecidedEvent } from '../src/command-handler.js'

const stores: EventStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined)
})

async function open(): Promise<EventStore> {
  const store = await EventStore.open({ backend: memoryBackend() })
  stores.push(store)
  return store
}

type Counted = DecidedEvent<'Incremented', { by: number }>
const counter = (maxRetries?: number) =>
  CommandHandler<{ count: number }, Counted>({
    initialState: () => ({ count: 0 }),
    evolve: (s, e) => ({ count: s.count + e.data.by }),
    ...(maxRetries === undefined ? {} : { maxRetries }),
  })
const inc = (by = 1): Counted => ({ type: 'Incremented', data: { by } })

async function typesOf(store: EventStore, stream: string): Promise<string[]> {
  const out: string[] = []
  for await (const e of store.readStream(stream)) out.push(`${e.type}@${e.revision}`)
  return out
}

describe('CommandHandler', () => {
  it('appends what decide returns with the revision it loaded, and folds it into newState', async () => {
    const store = await open()
    const handle = counter()
    const first = await handle(store, 'c-1', () => inc(2))
    expect(first).toMatchObject({ newState: { count: 2 }, newEvents: [inc(2)], nextExpectedRevision: 0 })
    expect(typeof first.position).toBe('bigint')
    const second = await handle(store, 'c-1', (s) => [inc(s.count), inc(1)])
    expect(second).toMatchObject({ newState: { count: 5 }, nextExpectedRevision: 2 })
    expect((await store.aggregateStream('c-1', { initialState: () => 0, evolve: (n: number, e: RecordedEvent) => n + (e.data as { by: number }).by })).state).toBe(5)
  })

  it('appends nothing when decide returns no event', async () => {
    const store = await open()
    const handle = counter()
    expect(await handle(store, 'quiet', () => [])).toEqual({ newState: { count: 0 }, newEvents: [], nextExpectedRevision: 'no_stream', position: undefined })
    await handle(store, 'quiet', () => inc())
    expect(await handle(store, 'quiet', () => [])).toMatchObject({ nextExpectedRevision: 0, position: undefined })
    expect(await typesOf(store, 'quiet')).toEqual(['Incremented@0'])
  })

  it('retries on WRONG_EXPECTED_VERSION, deciding again on the reloaded state', async () => {
    const store = await open()
    const handle = counter(3)
    const statesSeen: number[] = []
    let interfere = 3
    const r = await handle(store, 'busy', async (s) => {
      statesSeen.push(s.count)
      // Another writer gets in between this load and this append, three times.
      if (interfere-- > 0) await store.appendToStream('busy', [inc(10)])
      return inc(1)
    })
    expect(statesSeen).toEqual([0, 10, 20, 30])
    expect(r).toMatchObject({ newState: { count: 31 }, nextExpectedRevision: 3 })
    expect(await typesOf(store, 'busy')).toEqual(['Incremented@0', 'Incremented@1', 'Incremented@2', 'Incremented@3'])
  })

  it('surfaces WRONG_EXPECTED_VERSION after maxRetries retries, having written nothing of its own', async () => {
    const store = await open()
    const handle = counter(2)
    let attempts = 0
    const error = await handle(store, 'contended', async () => {
      attempts++
      await store.appendToStream('contended', [inc(10)])
      return inc(1)
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WrongExpectedVersionError)
    expect(error).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamName: 'contended' })
    expect(attempts).toBe(3)
    expect((await typesOf(store, 'contended')).length).toBe(3)
  })

  it('concurrent handlers on one stream all succeed within their retries, none lost', async () => {
    const store = await open()
    const handle = counter(20)
    await Promise.all(Array.from({ length: 8 }, () => handle(store, 'shared', () => inc(1))))
    expect((await handle(store, 'shared', () => [])).newState).toEqual({ count: 8 })
  })

  it('passes other errors through at once, without retrying', async () => {
    const store = await open()
    const handle = counter()
    let calls = 0
    const boom = new Error('invalid command')
    await expect(
      handle(store, 'x', () => {
        calls++
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(calls).toBe(1)
    await store.appendToStream('gone', [inc()])
    await store.tombstoneStream('gone')
    await expect(handle(store, 'gone', () => inc())).rejects.toMatchObject({ code: 'STREAM_DELETED' })
  })

  it('loads through snapshots when configured', async () => {
    const store = await open()
    const handle = CommandHandler<{ count: number }, Counted>({
      initialState: () => ({ count: 0 }),
      evolve: (s, e) => ({ count: s.count + e.data.by }),
      snapshot: { every: 2, schemaVersion: 1 },
    })
    for (let i = 0; i < 6; i++) await handle(store, 'snap', () => inc(1))
    await new Promise((r) => setImmediate(r))
    const loaded = await store.aggregateStream('snap', {
      initialState: () => ({ count: 0 }),
      evolve: (s: { count: number }, e: RecordedEvent) => ({ count: s.count + (e.data as { by: number }).by }),
      snapshot: { every: 2, schemaVersion: 1 },
    })
    expect(loaded.state).toEqual({ count: 6 })
    expect(loaded.fromSnapshot).toBeDefined()
  })

  it('refuses bad options with INVALID_ARGUMENT', () => {
    expect(() => counter(-1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error)
    expect(() => counter(1.5)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error)
  })
})
