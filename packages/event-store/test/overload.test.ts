import { offerMany, overloadOffers, stalledDisk } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS, EventStore, OverloadedError, walBackend } from '../src/index.js'

const MiB = 1024 * 1024
const data = { v: 'x'.repeat(1000) } // an event of ~1 KiB

describe('bounded memory under overload', () => {
  it('1 M concurrent 1 KiB appends against a stalled disk: the heap stays bounded, the excess is OVERLOADED, every acknowledged append is in the store', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const store = await EventStore.open({ backend: walBackend('/es', { fs: disk.fs, sync: 'none' }) })
    disk.stall()
    const { offered, peakGrowthBytes } = await offerMany({
      total: overloadOffers(),
      offer: (i) => store.appendToStream(`s-${i % 1000}`, { type: 'T', data }),
    })
    // Without a bound, 1 M appends (their events, stream queues and log requests: >2 GiB) wait here.
    expect(peakGrowthBytes).toBeLessThan(DEFAULT_MAX_QUEUED_BYTES + 200 * MiB)
    disk.resume()
    const outcome = await offered
    expect(outcome.otherErrors).toEqual([])
    expect(outcome.acked + (outcome.refusedByCode.get('OVERLOADED') ?? 0)).toBe(overloadOffers())
    expect(outcome.acked).toBeGreaterThan(0)
    expect(outcome.acked).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_OPERATIONS)
    await store.appendToStream('after', { type: 'T', data: {} })
    await store.close()
    const again = await EventStore.open({ backend: walBackend('/es', { fs: sim }) })
    expect(again.lastPosition).toBe(BigInt(outcome.acked + 1))
    await again.close()
  }, 600_000)

  it('refuses appends and stream commands at maxQueuedOperations and maxQueuedBytes, and accepts again once the queue drains', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const store = await EventStore.open({ backend: walBackend('/es', { fs: disk.fs }), maxQueuedOperations: 3, maxQueuedBytes: 4096 })
    disk.stall()
    const big = store.appendToStream('a', { type: 'T', data: { v: 'y'.repeat(10_000) } })
    const err = await store.appendToStream('b', { type: 'T', data: {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OverloadedError)
    expect(err).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedBytes', max: 4096, queuedOperations: 1 })
    disk.resume()
    await big
    disk.stall()
    const three = ['c', 'd', 'e'].map((s) => store.appendToStream(s, { type: 'T', data: {} }))
    await expect(store.multiStreamAppend([{ streamName: 'f', events: [{ type: 'T', data: {} }] }])).rejects.toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedOperations' })
    await expect(store.deleteStream('c')).rejects.toMatchObject({ code: 'OVERLOADED' })
    disk.resume()
    await Promise.all(three)
    await store.deleteStream('c')
    expect(store.lastPosition).toBe(5n)
    await store.close()
  })

  it('rejects bad limits with INVALID_ARGUMENT', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10', Infinity]) {
      await expect(EventStore.open({ backend: walBackend('/es', { fs: new SimFileSystem() }), maxQueuedOperations: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(EventStore.open({ backend: walBackend('/es', { fs: new SimFileSystem() }), maxQueuedBytes: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })
})
