import { countOpenFiles, offerMany, overloadOffers, stalledDisk } from '@quire/test-kit'
import { DEFAULT_MAX_OPEN_FILES } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS, OverloadedError, SnapshotStore } from '../src/index.js'

const MiB = 1024 * 1024
const state = new Uint8Array(1024)

describe('bounded memory under overload', () => {
  it('1 M concurrent 1 KiB saves against a stalled disk: the heap stays bounded, the excess is OVERLOADED, every acknowledged save loads', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const store = await SnapshotStore.open('/snaps', { fs: disk.fs, codec: 'raw' })
    disk.stall()
    const { offered, peakGrowthBytes } = await offerMany({
      total: overloadOffers(),
      offer: (i) => store.save(`k${i % 1000}`, { position: i, state }),
    })
    // Without a bound, 1 M encoded snapshots (~1.2 GiB) and their queue wait here.
    expect(peakGrowthBytes).toBeLessThan(DEFAULT_MAX_QUEUED_BYTES + 160 * MiB)
    disk.resume()
    const outcome = await offered
    expect(outcome.otherErrors).toEqual([])
    expect(outcome.acked + (outcome.refusedByCode.get('OVERLOADED') ?? 0)).toBe(overloadOffers())
    expect(outcome.acked).toBeGreaterThan(0)
    expect(outcome.acked).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_OPERATIONS)
    await store.save('k0', { position: 2_000_000, state })
    await store.close()
    const again = await SnapshotStore.open('/snaps', { fs: sim, codec: 'raw' })
    expect((await again.load('k0'))?.position).toBe(2_000_000)
    // Saves are accepted in call order: the first `acked` were taken, each key's newest of them loads.
    expect((await again.load('k1'))?.position).toBe(Math.floor((outcome.acked - 2) / 1000) * 1000 + 1)
    await again.close()
  }, 600_000)

  it('refuses at maxQueuedOperations and maxQueuedBytes, takes one save alone whatever its size, and accepts again once the queue drains', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const store = await SnapshotStore.open('/snaps', { fs: disk.fs, codec: 'raw', maxQueuedOperations: 3, maxQueuedBytes: 4096 })
    disk.stall()
    const big = store.save('a', { position: 1, state: new Uint8Array(10_000) }) // alone: over maxQueuedBytes, taken
    const err = await store.save('b', { position: 1, state: new Uint8Array(10) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OverloadedError)
    expect(err).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedBytes', max: 4096, queuedOperations: 1 })
    disk.resume()
    await big
    disk.stall()
    const three = [1, 2, 3].map((p) => store.save('c', { position: p, state: new Uint8Array(10) }))
    await expect(store.delete('a')).rejects.toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedOperations', max: 3 })
    disk.resume()
    await Promise.all(three)
    await store.delete('a')
    expect(await store.load('a')).toBeUndefined()
    expect((await store.load('c'))?.position).toBe(3)
    await store.close()
  })

  it('rejects bad limits with INVALID_ARGUMENT', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10', Infinity]) {
      await expect(SnapshotStore.open('/snaps', { fs: new SimFileSystem(), maxQueuedOperations: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(SnapshotStore.open('/snaps', { fs: new SimFileSystem(), maxQueuedBytes: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })
})

describe('open files under load', () => {
  it('2 000 concurrent saves and loads of 2 000 keys hold at most DEFAULT_MAX_OPEN_FILES files open at once (else EMFILE)', async () => {
    const counted = countOpenFiles(new SimFileSystem())
    const store = await SnapshotStore.open('/snaps', { fs: counted.fs, codec: 'raw' })
    const keys = Array.from({ length: 2000 }, (_, i) => `key-${i}`)
    await Promise.all(keys.map((k, i) => store.save(k, { position: i, state: new Uint8Array(100).fill(i & 0xff) })))
    const loaded = await Promise.all(keys.map((k) => store.load(k)))
    expect(loaded.map((s) => s?.position)).toEqual(keys.map((_, i) => i))
    await store.close()
    expect(counted.open).toBe(0)
    expect(counted.peak).toBeGreaterThan(1)
    expect(counted.peak).toBeLessThanOrEqual(DEFAULT_MAX_OPEN_FILES + 1) // + the lock's
  })
})
