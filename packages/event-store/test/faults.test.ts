// EVENT-STORE.md (d) 17, 42, 43, 45 on each embedded backend, through the facade, on the
// simulated disk: ENOSPC fails one append and the store goes on without a position gap; a failed
// sync poisons until reopen; a retry with the same ids after reopen leaves exactly one copy; a
// full disk, freed, opens again; a second opener gets LOCKED.
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { EventStore } from '../src/event-store.js'
import type { EventData } from '../src/types.js'
import { BACKENDS, backendFor, uuid, type BackendName } from './parts.js'
import { readEverything } from './store-workload.js'

/** The files of each backend's log (not its side store). */
const LOG_FILES: Record<BackendName, RegExp> = {
  wal: /^\/data\/store\/log\//,
  ndjson: /^\/data\/events\.ndjson$/,
  'record-keeper': /^\/data\/store\/log\//,
}

const events = (n: number): EventData[] => Array.from({ length: n }, (_, i) => ({ id: uuid(), type: 'Deposited', data: { amount: i + 1 } }))

async function positionsOf(store: EventStore): Promise<bigint[]> {
  return (await readEverything(store)).map((e) => e.position)
}

/** Every issued id found exactly once in `$all`, and positions 1..n. */
async function expectOnce(store: EventStore, ids: readonly string[]): Promise<void> {
  const all = await readEverything(store)
  expect(all.map((e) => e.position)).toEqual(all.map((_, i) => BigInt(i + 1)))
  for (const id of ids) expect(all.filter((e) => e.id === id)).toHaveLength(1)
}

describe.each(BACKENDS)('faults: %s', (name) => {
  const open = (fs: FileSystem): Promise<EventStore> => EventStore.open({ backend: backendFor(name, fs) })

  it('ENOSPC fails that append with APPEND_FAILED (errno visible), nothing of it is written, and later appends take the next positions', async () => {
    const fs = new SimFileSystem({ seed: 1 })
    let store = await open(fs)
    await store.appendToStream('a', events(2))
    fs.injectFault({ op: 'write', path: LOG_FILES[name], error: 'ENOSPC', partial: true })
    const lost = events(3)
    const err = (await store.multiStreamAppend([
      { streamName: 'a', events: lost.slice(0, 2) },
      { streamName: 'b', events: lost.slice(2) },
    ]).catch((e: unknown) => e)) as Error & { cause?: { cause?: unknown } }
    expect(err).toMatchObject({ code: 'APPEND_FAILED' })
    expect(err.message).toContain('ENOSPC')
    expect(await store.getStreamState('b')).toEqual({ state: 'no_stream' })
    if (name === 'record-keeper') {
      // The record keeper cannot roll a failed write back: it poisons until reopen.
      await expect(store.appendToStream('a', events(1))).rejects.toMatchObject({ code: 'POISONED' })
      await store.close()
      store = await open(fs)
    }
    const next = await store.appendToStream('a', events(1))
    expect(next).toMatchObject({ position: 3n, nextExpectedRevision: 2 })
    // The ids of the failed append were not kept: appending them again writes them, once.
    await store.multiStreamAppend([
      { streamName: 'a', events: lost.slice(0, 2) },
      { streamName: 'b', events: lost.slice(2) },
    ])
    expect(await positionsOf(store)).toEqual([1n, 2n, 3n, 4n, 5n, 6n])
    await store.close()
    const reopened = await open(fs.crash(3))
    await expectOnce(reopened, lost.map((e) => e.id!))
    await reopened.close()
  })

  it('EIO on a sync: APPEND_FAILED (outcome unknown), then POISONED for appends and stream commands until reopen; a retry with the same ids leaves one copy', async () => {
    for (const crash of [false, true]) {
      const fs = new SimFileSystem({ seed: 2 })
      const store = await open(fs)
      await store.appendToStream('a', events(1))
      fs.injectFault({ op: 'sync', path: LOG_FILES[name], error: 'EIO' })
      const unknown = events(2)
      await expect(store.appendToStream('a', unknown, { expectedRevision: 0 })).rejects.toMatchObject({ code: 'APPEND_FAILED' })
      await expect(store.appendToStream('a', events(1))).rejects.toMatchObject({ code: 'POISONED' })
      await expect(store.appendToStream('c', events(1))).rejects.toMatchObject({ code: 'POISONED' })
      await expect(store.deleteStream('a')).rejects.toMatchObject({ code: 'POISONED' })
      // Reads go on, and never show the append whose outcome is unknown.
      expect(await positionsOf(store)).toEqual([1n])
      await store.close()
      const reopened = await open(crash ? fs.crash(5) : fs)
      const retry = await reopened.appendToStream('a', unknown, { expectedRevision: 0 })
      expect(retry.nextExpectedRevision).toBe(2)
      await expectOnce(reopened, unknown.map((e) => e.id!))
      await reopened.close()
    }
  })

  it('a disk that fills up fails appends; after a power cut and freeing space the store opens with everything acknowledged', async () => {
    for (const cut of [false, true]) {
      const fs = new SimFileSystem({ seed: 4 })
      const store = await open(fs)
      const acked: string[] = []
      for (let i = 0; i < 5; i++) {
        const batch = events(2)
        await store.appendToStream(`s${i % 2}`, batch)
        acked.push(...batch.map((e) => e.id!))
      }
      // Full: every write fails from now on (partial writes included), also the store's own repairs.
      const full = fs.injectFault({ op: 'write', error: 'ENOSPC', partial: true, sticky: true })
      const failures = await Promise.allSettled(Array.from({ length: 5 }, () => store.appendToStream('s0', events(1))))
      for (const f of failures) expect(f).toMatchObject({ status: 'rejected', reason: { code: expect.stringMatching(/^(APPEND_FAILED|POISONED)$/) as unknown } })
      let disk = fs
      if (cut) {
        disk = fs.crash(8)
      } else {
        await store.close().catch(() => undefined)
      }
      full.remove()
      const reopened = await open(disk)
      await expectOnce(reopened, acked)
      expect((await reopened.appendToStream('s0', events(1))).position).toBe(11n)
      await reopened.close()
    }
  })

  it('a second opener of the same store gets LOCKED; after close it opens', async () => {
    const fs = new SimFileSystem()
    const store = await open(fs)
    await expect(open(fs)).rejects.toMatchObject({ code: 'LOCKED' })
    await store.close()
    await (await open(fs)).close()
  })
})
