import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { settle } from '@quire/test-kit'
import { NdjsonLog, PoisonedError, WriteFailedError } from '@quire/ndjson-log'
import { isValidNdjson, LOG, SMALL_PAD, readAll, text, withoutPad } from './helpers.js'

describe('group commit', () => {
  it('256 concurrent appends take a handful of writes and syncs, not 256', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    fs.resetStats()
    const results = await Promise.all(Array.from({ length: 256 }, (_, i) => log.append({ i, type: 'Event' })))
    expect(new Set(results.map((r) => r.seq)).size).toBe(256)
    expect(fs.stats.syncs).toBeGreaterThanOrEqual(1)
    expect(fs.stats.syncs).toBeLessThanOrEqual(4)
    expect(fs.stats.writes).toBeLessThanOrEqual(4)
    // Closed-loop appenders (each appends again once acknowledged) still share syncs.
    fs.resetStats()
    let next = 0
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < 1024) await log.append({ i: next++ })
      }),
    )
    expect(fs.stats.syncs).toBeLessThanOrEqual(1024 / 16)
    await log.close()
    expect((await readAll(fs)).length).toBe(256 + 1024)
  })

  it("with sync: 'none' appends do not sync; sync() and close() make them durable", async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, sync: 'none' })
    fs.resetStats()
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append({ i })))
    expect(fs.stats.syncs).toBe(0)
    await log.sync()
    expect(fs.stats.syncs).toBe(1)
    // Everything before sync() survives any crash now.
    for (const image of fs.crashImages({ max: 50 })) expect((await readAll(image)).length).toBe(50)
    await log.append({ i: 50 })
    await log.close()
    for (const image of fs.crashImages({ max: 50 })) expect((await readAll(image)).length).toBe(51)
  })
})

describe('faults', () => {
  it('a failed sync (EIO) poisons the log until reopened; memory never runs ahead of disk', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    await log.append({ n: 1 })
    fs.injectFault({ op: 'sync', path: LOG, error: 'EIO' })
    const err = await log.append({ n: 2 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PoisonedError)
    expect(err).toMatchObject({ code: 'POISONED' })
    expect((err as PoisonedError).cause).toMatchObject({ code: 'EIO' })
    expect(log.poisoned).toBe(true)
    expect(log.lastSeq).toBe(1)
    await expect(log.append({ n: 3 })).rejects.toMatchObject({ code: 'POISONED' })
    await expect(log.appendBatch([{ n: 3 }, { n: 4 }])).rejects.toMatchObject({ code: 'POISONED' })
    await expect(log.sync()).rejects.toMatchObject({ code: 'POISONED' })
    // Reads of what was acknowledged still work.
    const seen: number[] = []
    for await (const e of log.read()) seen.push(e.seq)
    expect(seen).toEqual([1])
    await log.close()
    // Reopening recovers from what is really on disk and accepts writes again.
    const again = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    expect(again.poisoned).toBe(false)
    const next = await again.append({ n: 'after' })
    expect(next.seq).toBe(again.lastSeq)
    await again.close()
    expect(isValidNdjson(await text(fs))).toBe(true)
  })

  it('a partial write (ENOSPC) is rolled back durably: the file stays valid and the log usable', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    await log.append({ n: 1 })
    const good = await text(fs)
    // Sticky: the disk stays full, so the retry without free space (issue 13) fails too.
    const fault = fs.injectFault({ op: 'write', path: LOG, error: 'ENOSPC', partial: true, sticky: true })
    const { results } = await settle<unknown>([
      log.append({ n: 2, pad: 'x'.repeat(600) }),
      log.appendBatch([{ n: 3, pad: 'y'.repeat(600) }, { n: 4 }]),
    ])
    fault.remove()
    for (const r of results) {
      expect(r.status).toBe('rejected')
      const reason = (r as PromiseRejectedResult).reason as WriteFailedError
      expect(reason).toBeInstanceOf(WriteFailedError)
      expect(reason.code).toBe('WRITE_FAILED')
      expect(reason.cause).toMatchObject({ code: 'ENOSPC' })
    }
    expect(log.poisoned).toBe(false)
    expect(log.lastSeq).toBe(1)
    expect(withoutPad(await text(fs))).toBe(withoutPad(good))
    // No crash image brings the failed appends back.
    for (const image of fs.crashImages({ max: 100 })) {
      expect((await readAll(image)).map((e) => e.record.n)).toEqual([1])
    }
    // The log goes on.
    expect((await log.append({ n: 5 })).seq).toBe(2)
    await log.close()
    expect((await readAll(fs)).map((e) => e.record.n)).toEqual([1, 5])
    expect(isValidNdjson(await text(fs))).toBe(true)
  })

  it('a failed write whose repair also fails poisons the log; reopening cuts the torn tail', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    await log.append({ n: 1 })
    fs.injectFault({ op: 'write', path: LOG, error: 'EIO', partial: true })
    fs.injectFault({ op: 'truncate', path: LOG, error: 'EIO' })
    await expect(log.append({ n: 2, pad: 'z'.repeat(900) })).rejects.toMatchObject({ code: 'POISONED' })
    await expect(log.append({ n: 3 })).rejects.toBeInstanceOf(PoisonedError)
    await log.close()
    const again = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    expect(again.lastSeq).toBe(1)
    await again.close()
    expect(isValidNdjson(await text(fs))).toBe(true)
    expect((await readAll(fs)).map((e) => e.record.n)).toEqual([1])
  })

  it('a failure during rotation poisons the log; reopening finds every acknowledged record', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD, maxFileBytes: 400 })
    for (let i = 1; i <= 4; i++) await log.append({ i, pad: 'p'.repeat(60) })
    fs.injectFault({ op: 'rename', error: 'EIO' })
    const { fulfilled, rejected } = await settle(Array.from({ length: 6 }, (_, i) => log.append({ i: 5 + i, pad: 'p'.repeat(60) })))
    expect(rejected.length).toBeGreaterThan(0)
    await log.close()
    const read = await readAll(fs, { maxFileBytes: 400 })
    expect(read.map((e) => e.seq)).toEqual(read.map((_, i) => i + 1))
    expect(read.length).toBeGreaterThanOrEqual(4 + fulfilled.length)
  })
})
