import { offerMany, overloadOffers, stalledDisk } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_COMMITS, MvccStore, OverloadedError } from '../src/index.js'

const MiB = 1024 * 1024
const value = new Uint8Array(1024)

describe('bounded memory under overload', () => {
  it('1 M concurrent 1 KiB commits against a stalled disk: the heap stays bounded, the excess is OVERLOADED (aborted), every acknowledged commit survives', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const db = await MvccStore.open('/db', { fs: disk.fs, sync: 'none' })
    disk.stall()
    const { offered, peakGrowthBytes } = await offerMany({
      total: overloadOffers(),
      offer: async (i) => {
        const tx = db.begin()
        await tx.put(`k${i}`, value)
        return tx.commit()
      },
    })
    // Without a bound, 1 M commits (their versions, WAL frames and requests: >1 GiB) wait here.
    expect(peakGrowthBytes).toBeLessThan(DEFAULT_MAX_QUEUED_BYTES + 200 * MiB)
    disk.resume()
    const outcome = await offered
    expect(outcome.otherErrors).toEqual([])
    expect(outcome.acked + (outcome.refusedByCode.get('OVERLOADED') ?? 0)).toBe(overloadOffers())
    expect(outcome.acked).toBeGreaterThan(0)
    expect(outcome.acked).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_COMMITS)
    expect(db.stats().keys).toBe(outcome.acked)
    expect(db.stats().openTransactions).toBe(0)
    await db.transaction(async (tx) => tx.put('after', 1))
    await db.close()
    const again = await MvccStore.open('/db', { fs: sim })
    expect(again.stats().keys).toBe(outcome.acked + 1)
    await again.close()
  }, 600_000)

  it('refuses at maxQueuedOperations and maxQueuedBytes before validation, aborts the transaction, and accepts again once the queue drains', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const db = await MvccStore.open('/db', { fs: disk.fs, maxQueuedOperations: 3, maxQueuedBytes: 4096 })
    const commitOne = async (key: string, v: unknown): Promise<number> => {
      const tx = db.begin()
      await tx.put(key, v)
      return tx.commit()
    }
    disk.stall()
    const big = commitOne('big', new Uint8Array(10_000)) // alone: over maxQueuedBytes, taken
    const tx = db.begin()
    await tx.put('small', 1)
    const err = await tx.commit().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OverloadedError)
    expect(err).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedBytes', max: 4096, queuedOperations: 1 })
    expect(tx.isOpen).toBe(false)
    disk.resume()
    await big
    disk.stall()
    const three = ['a', 'b', 'c'].map((k) => commitOne(k, 1))
    await expect(commitOne('d', 1)).rejects.toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedOperations', max: 3 })
    disk.resume()
    await Promise.all(three)
    await commitOne('d', 2)
    expect(await db.transaction(async (t) => [await t.get('small'), await t.get('d')])).toEqual([undefined, 2])
    await db.close()
  })

  it('checkpoints asked for while one waits share it', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const db = await MvccStore.open('/db', { fs: disk.fs })
    await db.transaction(async (tx) => tx.put('a', 1))
    disk.stall()
    const first = db.checkpoint()
    const waiting = Array.from({ length: 1000 }, () => db.checkpoint())
    expect(new Set(waiting).size).toBe(1)
    disk.resume()
    await first
    expect((await waiting[0]!).keys).toBe(1)
    await db.close()
  })
})
