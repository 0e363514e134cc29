import { offerMany, overloadOffers, stalledDisk } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_OPERATIONS, NdjsonLog, OverloadedError } from '../src/index.js'

const MiB = 1024 * 1024
const LOG = '/data/app.ndjson'
const record = { v: 'x'.repeat(1000) } // a line of ~1 KiB

describe('bounded memory under overload', () => {
  it('1 M concurrent 1 KiB appends against a stalled disk: the heap stays bounded, the excess is OVERLOADED, every acknowledged append is in the log', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const log = await NdjsonLog.open(LOG, { fs: disk.fs, sync: 'none' })
    disk.stall()
    const { offered, peakGrowthBytes } = await offerMany({ total: overloadOffers(), offer: () => log.append(record) })
    // Without a bound the queue holds 1 M serialized lines (~1 GiB of strings) here.
    expect(peakGrowthBytes).toBeLessThan(DEFAULT_MAX_QUEUED_BYTES + 160 * MiB)
    disk.resume()
    const outcome = await offered
    expect(outcome.otherErrors).toEqual([])
    expect(outcome.acked + (outcome.refusedByCode.get('OVERLOADED') ?? 0)).toBe(overloadOffers())
    expect(outcome.acked).toBeGreaterThan(0)
    expect(outcome.acked).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_OPERATIONS)
    await log.append(record)
    await log.close()
    const again = await NdjsonLog.open(LOG, { fs: sim })
    expect(again.lastSeq).toBe(outcome.acked + 1)
    await again.close()
  }, 600_000)

  it('refuses at maxQueuedOperations and maxQueuedBytes, takes one operation alone whatever its size, and accepts again once the queue drains', async () => {
    const sim = new SimFileSystem()
    const disk = stalledDisk(sim)
    const log = await NdjsonLog.open(LOG, { fs: disk.fs, maxQueuedOperations: 3, maxQueuedBytes: 4096 })
    disk.stall()
    const big = log.append({ v: 'y'.repeat(10_000) }) // alone: over maxQueuedBytes, taken
    const err = await log.append({ v: 1 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OverloadedError)
    expect(err).toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedBytes', max: 4096, queuedOperations: 1 })
    disk.resume()
    await big
    disk.stall()
    const three = [0, 1, 2].map((i) => log.append({ v: i }))
    await expect(log.appendBatch([{ v: 9 }])).rejects.toMatchObject({ code: 'OVERLOADED', limit: 'maxQueuedOperations', max: 3 })
    await expect(log.sync()).rejects.toMatchObject({ code: 'OVERLOADED' })
    disk.resume()
    expect((await Promise.all(three)).map((e) => e.seq)).toEqual([2, 3, 4])
    expect((await log.appendBatch([{ v: 9 }]))[0]!.seq).toBe(5)
    await log.close()
  })

  it('rejects bad limits with INVALID_ARGUMENT', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10', Infinity]) {
      await expect(NdjsonLog.open(LOG, { fs: new SimFileSystem(), maxQueuedOperations: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(NdjsonLog.open(LOG, { fs: new SimFileSystem(), maxQueuedBytes: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })
})
