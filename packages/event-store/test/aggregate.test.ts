// aggregateStream: the fold of readStream, from the newest usable snapshot plus the events after
// it. Snapshots are a cache: damaged, of another schemaVersion without upgrade, of a stream
// deleted and recreated, or hidden by retention -> ignored and the stream replayed; a failed save
// never fails a load. Memory backend, plus the WAL backend on a simulated disk for damaged files.
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { checkProperty, fc } from '@quire/test-kit'
import { afterEach, describe, expect, it } from 'vitest'
import { EventStore, memoryBackend, type EventData, type RecordedEvent } from '../src/index.js'
import { walBackend } from '../src/backends/wal.js'
import type { EventStoreBackend, EventStoreDriver } from '../src/driver.js'
import { storeInternals } from '../src/event-store.js'
import { aggregateKey, type AggregateSnapshotOptions } from '../src/aggregate/aggregate-stream.js'

const stores: EventStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined)
})

async function open(backend: EventStoreBackend = memoryBackend()): Promise<EventStore> {
  const store = await EventStore.open({ backend })
  stores.push(store)
  return store
}

interface Account {
  balance: number
  history: number[]
}
const initialState = (): Account => ({ balance: 0, history: [] })
let evolveCalls = 0
const evolve = (s: Account, e: RecordedEvent): Account => {
  evolveCalls++
  const amount = (e.data as { amount: number }).amount
  return { balance: s.balance + (e.type === 'Deposited' ? amount : -amount), history: [...s.history, e.revision] }
}
const deposit = (amount: number): EventData => ({ id: randomUUID(), type: 'Deposited', data: { amount } })

/** The expected fold, from readStream. */
async function foldOf(store: EventStore, stream: string): Promise<Account> {
  let s = initialState()
  for await (const e of store.readStream(stream)) s = evolve(s, e)
  return s
}

/** Lets background snapshot saves run. */
const settleSaves = (): Promise<void> => new Promise((r) => setImmediate(r))

const snap = (every: number, schemaVersion = 1, upgrade?: AggregateSnapshotOptions<Account>['upgrade']): AggregateSnapshotOptions<Account> => ({
  every,
  schemaVersion,
  ...(upgrade === undefined ? {} : { upgrade }),
})

/** A backend whose driver refuses every snapshot save (the real driver otherwise). */
function failingSnapshotSaves(backend: EventStoreBackend): EventStoreBackend & { attempts: number } {
  const wrapped = {
    name: `${backend.name}+failing-snapshots`,
    attempts: 0,
    async open(): Promise<EventStoreDriver> {
      const driver = await backend.open()
      return new Proxy(driver, {
        get(target, key, receiver) {
          if (key === 'saveSnapshot') {
            return async () => {
              wrapped.attempts++
              throw new Error('disk full (injected)')
            }
          }
          const value = Reflect.get(target, key, receiver) as unknown
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
        },
      })
    },
  }
  return wrapped
}

describe('aggregateStream', () => {
  it('of an absent stream: the initial state, no_stream', async () => {
    const store = await open()
    expect(await store.aggregateStream('none', { initialState, evolve })).toEqual({
      state: initialState(),
      currentRevision: 'no_stream',
      streamExists: false,
      fromSnapshot: undefined,
    })
  })

  it('equals the fold of readStream, with and without snapshots every k events (property)', async () => {
    await checkProperty(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 7 }), async (batches, every) => {
        const store = await EventStore.open({ backend: memoryBackend() })
        try {
          for (const n of batches) {
            await store.appendToStream('acc', Array.from({ length: n }, (_, i) => deposit(i + 1)))
            const expected = await foldOf(store, 'acc')
            const plain = await store.aggregateStream('acc', { initialState, evolve })
            const withSnapshots = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(every) })
            await settleSaves()
            expect(plain.state).toEqual(expected)
            expect(withSnapshots.state).toEqual(expected)
            expect(withSnapshots.currentRevision).toBe(plain.currentRevision)
          }
        } finally {
          await store.close()
        }
      }),
      { numRuns: 40 },
    )
  })

  it('loads from the newest snapshot plus the events after it', async () => {
    const store = await open()
    await store.appendToStream('acc', Array.from({ length: 10 }, () => deposit(1)))
    const first = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(5) })
    expect(first.fromSnapshot).toBeUndefined()
    await settleSaves()
    await store.appendToStream('acc', [deposit(5), deposit(5)])
    evolveCalls = 0
    const second = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(5) })
    expect(second.fromSnapshot).toBe(9)
    expect(evolveCalls).toBe(2)
    expect(second).toMatchObject({ currentRevision: 11, streamExists: true, state: await foldOf(store, 'acc') })
  })

  it('ignores a snapshot of another schemaVersion without upgrade, and upgrades one with it', async () => {
    const store = await open()
    await store.appendToStream('acc', Array.from({ length: 6 }, () => deposit(2)))
    await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(1, 1) })
    await settleSaves()
    const v2 = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(100, 2) })
    expect(v2.fromSnapshot).toBeUndefined()
    expect(v2.state).toEqual(await foldOf(store, 'acc'))
    await settleSaves()
    // The stale snapshot was replaced by a v2 one: the next v2 load uses it.
    expect((await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(100, 2) })).fromSnapshot).toBe(5)

    const s2 = await open()
    await s2.appendToStream('acc', Array.from({ length: 6 }, () => deposit(2)))
    await s2.aggregateStream('acc', { initialState, evolve, snapshot: snap(1, 1) })
    await settleSaves()
    const upgraded = await s2.aggregateStream('acc', {
      initialState,
      evolve,
      snapshot: snap(100, 3, (state, from) => {
        expect(from).toBe(1)
        return state as Account
      }),
    })
    expect(upgraded.fromSnapshot).toBe(5)
    expect(upgraded.state).toEqual(await foldOf(s2, 'acc'))
    await settleSaves()
    // The upgraded state was saved under the new version: no upgrade at the next load.
    const noUpgradeNeeded = await s2.aggregateStream('acc', { initialState, evolve, snapshot: snap(100, 3) })
    expect(noUpgradeNeeded.fromSnapshot).toBe(5)
    // An upgrade that throws is a cache miss too.
    const failing = await s2.aggregateStream('acc', {
      initialState,
      evolve,
      snapshot: snap(100, 4, () => {
        throw new Error('cannot upgrade')
      }),
    })
    expect(failing.fromSnapshot).toBeUndefined()
    expect(failing.state).toEqual(await foldOf(s2, 'acc'))
  })

  it('does not use the snapshot of a stream soft-deleted and recreated since', async () => {
    const store = await open()
    await store.appendToStream('acc', Array.from({ length: 4 }, () => deposit(10)))
    await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(1) })
    await settleSaves()
    await store.deleteStream('acc')
    await store.appendToStream('acc', [deposit(1)])
    const after = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(1) })
    expect(after.fromSnapshot).toBeUndefined()
    expect(after.state).toEqual({ balance: 1, history: [4] })
    expect(after.currentRevision).toBe(4)
  })

  it('does not use a snapshot whose event at its revision has another id', async () => {
    const store = await open()
    await store.appendToStream('acc', Array.from({ length: 3 }, () => deposit(1)))
    await storeInternals(store).driver.saveSnapshot(aggregateKey('acc'), {
      position: 2n,
      schemaVersion: 1,
      state: { state: { balance: 999, history: [] }, eventId: randomUUID(), firstRevision: 0 },
    })
    const r = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(100) })
    expect(r.fromSnapshot).toBeUndefined()
    expect(r.state).toEqual(await foldOf(store, 'acc'))
  })

  it('respects retention as readStream does: a snapshot over events now hidden is not used', async () => {
    const store = await open()
    await store.appendToStream('acc', Array.from({ length: 6 }, () => deposit(1)))
    await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(1) })
    await settleSaves()
    await store.setStreamMetadata('acc', { truncateBefore: 3 })
    const r = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(1) })
    expect(r.fromSnapshot).toBeUndefined()
    expect(r.state).toEqual({ balance: 3, history: [3, 4, 5] })
    expect(r.state).toEqual(await foldOf(store, 'acc'))
  })

  it('of a tombstoned stream: STREAM_DELETED', async () => {
    const store = await open()
    await store.appendToStream('gone', [deposit(1)])
    await store.tombstoneStream('gone')
    await expect(store.aggregateStream('gone', { initialState, evolve })).rejects.toMatchObject({ code: 'STREAM_DELETED' })
  })

  it('a failed snapshot save never fails the load', async () => {
    const backend = failingSnapshotSaves(memoryBackend())
    const store = await open(backend)
    await store.appendToStream('acc', Array.from({ length: 5 }, () => deposit(3)))
    const r = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(2) })
    await settleSaves()
    expect(backend.attempts).toBe(1)
    expect(r.state).toEqual(await foldOf(store, 'acc'))
    expect((await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(2) })).state).toEqual(r.state)
  })

  it('the state it returns is the caller\'s: changing it does not change the saved snapshot', async () => {
    const store = await open()
    await store.appendToStream('acc', Array.from({ length: 3 }, () => deposit(1)))
    const r = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(1) })
    r.state.balance = 1_000_000
    await settleSaves()
    const again = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(1) })
    expect(again.fromSnapshot).toBe(2)
    expect(again.state.balance).toBe(3)
  })

  it('refuses bad options with INVALID_ARGUMENT', async () => {
    const store = await open()
    await expect(store.aggregateStream('a', { initialState, evolve: 1 as unknown as typeof evolve })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.aggregateStream('a', { initialState, evolve, snapshot: snap(0) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.aggregateStream('a', { initialState, evolve, snapshot: snap(1, -1) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})

describe('aggregateStream on the WAL backend', () => {
  /** Every file under `dir`, recursively. */
  async function filesUnder(fs: FileSystem, dir: string): Promise<string[]> {
    const out: string[] = []
    for (const name of await fs.readdir(dir)) {
      const path = join(dir, name)
      if ((await fs.stat(path)).isDirectory) out.push(...(await filesUnder(fs, path)))
      else out.push(path)
    }
    return out
  }

  it('ignores a damaged snapshot file and replays the stream', async () => {
    const fs = new SimFileSystem()
    const backend = walBackend('/store', { fs })
    let store = await open(backend)
    await store.appendToStream('acc', Array.from({ length: 8 }, () => deposit(4)))
    await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(1) })
    await store.close()
    store = await open(backend)
    expect((await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(100) })).fromSnapshot).toBe(7)
    await store.close()
    // Flip a byte in the middle of every snapshot file of the side store.
    const files = (await filesUnder(fs, '/store/state')).filter((f) => !f.endsWith('.lock'))
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) {
      const bytes = await fs.readFile(f)
      if (bytes.length < 8) continue
      bytes[bytes.length >> 1]! ^= 0xff
      await fs.writeFile(f, bytes)
    }
    store = await open(backend)
    const r = await store.aggregateStream('acc', { initialState, evolve, snapshot: snap(100) })
    expect(r.fromSnapshot).toBeUndefined()
    expect(r.state).toEqual(await foldOf(store, 'acc'))
  })
})
