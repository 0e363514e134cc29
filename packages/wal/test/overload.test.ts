import { offerMany, overloadOffers, stalledDisk } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal, WAL_DEFAULT_MAX_QUEUED_BYTES, WAL_DEFAULT_MAX_QUEUED_OPERATIONS, WalOverloadedError } from '../src/index.js'

const MiB = 1024 * 1024
const key = new Uint8Array(8)
const value = new Uint8Array(1024)

describe('bounded memory under overload', () => {
  it('1 M concurrent 1 KiB appends against a stalled disk: the heap stays bounded, the excess is OVERLOADED, every acknowledged append is in the log', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const wal = await Wal.open('/wal', { fs: disk.fs, sync: 'none' })
    disk.stall()
    const { offered, peakGrowthBytes } = await offerMany({
      total: overloadOffers(),
      offer: () => wal.append({ op: 'put', key, value }),
    })
    // Without a bound the queue holds ~1 GiB of frames here (and 1 M requests).
    expect(peakGrowthBytes).toBeLessThan(WAL_DEFAULT_MAX_QUEUED_BYTES + 160 * MiB)
    disk.resume()
    const outcome = await offered
    expect(outcome.otherErrors).toEqual([])
    const refused = outcome.refusedByCode.get('OVERLOADED') ?? 0
    expect(outcome.acked + refused).toBe(overloadOffers())
    expect(outcome.acked).toBeGreaterThan(0)
    expect(outcome.acked).toBeLessThanOrEqual(WAL_DEFAULT_MAX_QUEUED_OPERATIONS)
    // The log works afterwards, and holds exactly the acknowledged appends.
    await wal.append({ op: 'put', key, value })
    await wal.close()
    const again = await Wal.open('/wal', { fs: sim })
    expect(again.lastSeq).toBe(outcome.acked + 1)
    await again.close()
  }, 600_000)

  it('refuses at maxQueuedOperations and maxQueuedBytes, takes one operation alone whatever its size, and accepts again once the queue drains', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const wal = await Wal.open('/wal', { fs: disk.fs, maxQueuedOperations: 3, maxQueuedBytes: 4096 })
    disk.stall()
    const big = wal.append({ op: 'put', key, value: new Uint8Array(10_000) }) // alone: over maxQueuedBytes, taken
    const err = await wal.append({ op: 'put', key, value: new Uint8Array(10) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WalOverloadedError)
    expect(err).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedBytes', max: 4096, queuedOperations: 1 })
    disk.resume()
    await big
    disk.stall()
    const three = [0, 1, 2].map(() => wal.append({ op: 'put', key, value: new Uint8Array(10) }))
    await expect(wal.appendBatch([{ op: 'delete', key }])).rejects.toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedOperations', max: 3 })
    disk.resume()
    expect((await Promise.all(three)).map((e) => e.seq)).toEqual([2, 3, 4])
    expect((await wal.appendBatch([{ op: 'delete', key }]))[0]!.seq).toBe(5)
    await wal.close()
  })

  it('rejects bad limits with INVALID_ARGUMENT', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10', Infinity]) {
      await expect(Wal.open('/wal', { fs: new SimFileSystem(), maxQueuedOperations: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(Wal.open('/wal', { fs: new SimFileSystem(), maxQueuedBytes: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })
})
