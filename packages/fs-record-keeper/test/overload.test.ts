import { countOpenFiles, offerMany, overloadOffers, stalledDisk } from '@quire/test-kit'
import { DEFAULT_MAX_OPEN_FILES } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS, Depot, RecordKeeper } from '../src/index.js'

const MiB = 1024 * 1024
const DIR = '/store'
const uuid = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
const payload = 'x'.repeat(1000) // an event of ~1 KiB

describe('bounded memory under overload', () => {
  it('RecordKeeper: 1 M concurrent 1 KiB adds against a stalled disk: the heap stays bounded, the excess is OVERLOADED, every acknowledged add is in the history', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const rk = await RecordKeeper.open(DIR, { fs: disk.fs })
    disk.stall()
    const { offered, peakGrowthBytes } = await offerMany({ total: overloadOffers(), offer: (i) => rk.add({ id: uuid(i), payload }) })
    // Without a bound, 1 M events' JSON (~1 GiB) and their queue wait here.
    expect(peakGrowthBytes).toBeLessThan(DEFAULT_MAX_QUEUED_BYTES + 160 * MiB)
    disk.resume()
    const outcome = await offered
    expect(outcome.otherErrors).toEqual([])
    expect(outcome.acked + (outcome.refusedByCode.get('OVERLOADED') ?? 0)).toBe(overloadOffers())
    expect(outcome.acked).toBeGreaterThan(0)
    expect(outcome.acked).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_OPERATIONS)
    // Adds are taken in call order: the first `acked` ids are the history.
    expect(await rk.tail()).toBe(uuid(outcome.acked - 1))
    // The store works afterwards. (Not reopened here: reading back ~60 000 event files on the
    // simulator costs more than the rest of the test; the crash properties cover reopening.)
    await rk.add({ id: uuid(2_000_000), payload })
    expect(await rk.tail()).toBe(uuid(2_000_000))
    await rk.close()
  }, 600_000)

  it('RecordKeeper: refuses at maxQueuedOperations and maxQueuedBytes, takes one add alone whatever its size, and accepts again once the queue drains', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const rk = await RecordKeeper.open(DIR, { fs: disk.fs, maxQueuedOperations: 3, maxQueuedBytes: 4096 })
    disk.stall()
    const big = rk.add({ id: uuid(1), payload: 'y'.repeat(10_000) })
    await expect(rk.add({ id: uuid(2) })).rejects.toMatchObject({ code: 'OVERLOADED' })
    disk.resume()
    await big
    disk.stall()
    const three = [3, 4, 5].map((i) => rk.add({ id: uuid(i) }))
    await expect(rk.add({ id: uuid(6) })).rejects.toMatchObject({ code: 'OVERLOADED' })
    disk.resume()
    await Promise.all(three)
    await rk.add({ id: uuid(6) })
    expect(await rk.tail()).toBe(uuid(6))
    expect(await rk.exists(uuid(2))).toBe(false)
    await rk.close()
  })

  it('Depot: 1 M concurrent 1 KiB writes against a stalled disk: the heap stays bounded, the excess is OVERLOADED, the acknowledged writes read back', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const depot = await Depot.open(DIR, { fs: disk.fs })
    const id = uuid(7)
    const objectBytes = 1024 * 1024
    await depot.reserve(id, objectBytes)
    const chunk = new Uint8Array(1024)
    disk.stall()
    const { offered, peakGrowthBytes } = await offerMany({
      total: overloadOffers(),
      offer: (i) => {
        chunk.fill(i & 0xff) // the caller reuses its array: each write keeps what it was given
        return depot.write(id, (i % 1024) * 1024, chunk)
      },
    })
    expect(peakGrowthBytes).toBeLessThan(DEFAULT_MAX_QUEUED_BYTES + 160 * MiB)
    disk.resume()
    const outcome = await offered
    expect(outcome.otherErrors).toEqual([])
    expect(outcome.acked + (outcome.refusedByCode.get('OVERLOADED') ?? 0)).toBe(overloadOffers())
    expect(outcome.acked).toBeGreaterThan(0)
    expect(outcome.acked).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_OPERATIONS)
    await depot.finalize(id)
    const content = await depot.read(id, 0, objectBytes)
    // Writes of one object run in call order: the last acknowledged write to each KiB holds.
    for (let k = 0; k < 1024; k++) {
      const last = k < outcome.acked ? k + 1024 * Math.floor((outcome.acked - 1 - k) / 1024) : undefined
      expect(content[k * 1024]).toBe(last === undefined ? 0 : last & 0xff)
    }
    await depot.close()
  }, 600_000)
})

describe('open files under load', () => {
  it('Depot: 2 000 concurrent operations on 2 000 objects hold at most DEFAULT_MAX_OPEN_FILES files open at once (else EMFILE poisons it)', async () => {
    const counted = countOpenFiles(new SimFileSystem())
    const depot = await Depot.open(DIR, { fs: counted.fs })
    const ids = Array.from({ length: 2000 }, (_, i) => uuid(i))
    await Promise.all(ids.map((id) => depot.reserve(id, 1024)))
    await Promise.all(ids.map((id) => depot.write(id, 0, new Uint8Array(1024).fill(1))))
    await Promise.all(ids.map((id) => depot.finalize(id)))
    const read = await Promise.all(ids.map((id) => depot.read(id, 0, 1024)))
    expect(read.every((b) => b[1023] === 1)).toBe(true)
    await depot.close()
    expect(counted.open).toBe(0)
    expect(counted.peak).toBeGreaterThan(1)
    expect(counted.peak).toBeLessThanOrEqual(DEFAULT_MAX_OPEN_FILES + 1) // + the lock's
  })
})

describe('open files under load (record keeper reads)', () => {
  it('2 000 concurrent reads hold at most DEFAULT_MAX_OPEN_FILES files open at once', async () => {
    const sim = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs: sim })
    const ids = Array.from({ length: 2000 }, (_, i) => uuid(i))
    await Promise.all(ids.map((id) => rk.add({ id, n: 1 })))
    await rk.close()
    const counted = countOpenFiles(sim)
    const again = await RecordKeeper.open(DIR, { fs: counted.fs })
    const atOpen = counted.peak
    const events = await Promise.all(ids.map((id) => again.read(id)))
    expect(events.every((e) => e.n === 1)).toBe(true)
    await again.close()
    expect(atOpen).toBeLessThanOrEqual(64)
    expect(counted.peak).toBeLessThanOrEqual(DEFAULT_MAX_OPEN_FILES + 1) // + the lock's
  })
})
