import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal, WalPoisonedError, WalWriteError } from '../src/index.js'
import { DIR, collect, enc, plain, readAll } from './helpers.js'

const put = (k: string, v = 'v') => ({ op: 'put' as const, key: enc(k), value: enc(v.repeat(40)) })

describe('faults', () => {
  it('a failed fdatasync poisons the log until it is reopened', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    await wal.append(put('a'))
    fs.injectFault({ op: 'sync', error: 'EIO' })
    const err: unknown = await wal.append(put('b')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WalPoisonedError)
    expect((err as WalPoisonedError).code).toBe('POISONED')
    expect((err as WalPoisonedError).cause).toMatchObject({ code: 'EIO' })
    // Every later write rejects, even though the disk works again.
    await expect(wal.append(put('c'))).rejects.toMatchObject({ code: 'POISONED' })
    await expect(wal.appendBatch([put('d')])).rejects.toMatchObject({ code: 'POISONED' })
    await expect(wal.truncateBefore(1)).rejects.toMatchObject({ code: 'POISONED' })
    expect(wal.lastSeq).toBe(1) // 'b' was never acknowledged
    await wal.close()
    // After a power loss, 'b' is gone for good: the failed sync dropped it.
    expect((await readAll(fs.crash(1))).entries.map((e) => e.key)).toEqual(['a'])
    // Reopened without a crash, 'b' may still be in the page cache: its outcome was unknown.
    const again = await Wal.open(DIR, { fs })
    const keys = (await collect(again)).map(plain).map((e) => e.key)
    expect([['a'], ['a', 'b']]).toContainEqual(keys)
    expect((await again.append(put('e'))).seq).toBe(keys.length + 1)
    await again.close()
  })

  it('concurrent appends caught by a failed sync all reject; none is reported durable', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    fs.injectFault({ op: 'sync', error: 'EIO' })
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => wal.append(put(`k${i}`))))
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    await wal.close()
    expect((await readAll(fs.crash(3))).lastSeq).toBe(0)
  })

  it('ENOSPC with a partial write rejects the append, rolls back, and the log stays appendable without reopening', async () => {
    const fs = new SimFileSystem({ seed: 7 })
    const wal = await Wal.open(DIR, { fs })
    await wal.append(put('a'))
    fs.injectFault({ op: 'write', error: 'ENOSPC', partial: true })
    const failed = await Promise.allSettled([wal.append(put('b')), wal.appendBatch([put('c'), put('d')])])
    for (const r of failed) {
      expect(r.status).toBe('rejected')
      const reason = (r as PromiseRejectedResult).reason as WalWriteError
      expect(reason).toBeInstanceOf(WalWriteError)
      expect(reason.code).toBe('WRITE_FAILED')
      expect(reason.errno).toBe('ENOSPC')
    }
    expect(wal.lastSeq).toBe(1)
    // No gap, no trace of the failed group.
    expect((await wal.append(put('e'))).seq).toBe(2)
    expect((await wal.appendBatch([put('f'), put('g')])).map((e) => e.seq)).toEqual([3, 4])
    expect((await collect(wal)).map((e) => plain(e).key)).toEqual(['a', 'e', 'f', 'g'])
    await wal.close()
    for (const seed of [1, 2, 3]) {
      const { entries } = await readAll(fs.crash(seed))
      expect(entries.map((e) => e.key)).toEqual(['a', 'e', 'f', 'g'])
    }
  })

  it('a failed write that cannot be rolled back poisons', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    fs.injectFault({ op: 'write', error: 'EIO', partial: true })
    fs.injectFault({ op: 'truncate', error: 'EIO' })
    await expect(wal.append(put('a'))).rejects.toBeInstanceOf(WalPoisonedError)
    await expect(wal.append(put('b'))).rejects.toBeInstanceOf(WalPoisonedError)
    await wal.close()
    const { entries, lastSeq } = await readAll(fs)
    expect(lastSeq).toBeLessThanOrEqual(1)
    expect(entries.every((e) => e.key === 'a')).toBe(true)
  })

  it('ENOSPC while rolling to a new segment rejects and the log keeps working', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
    let seq = 0
    while ((await fs.readdir(DIR)).filter((n) => n.endsWith('.wal')).length === 1) seq = (await wal.append(put(`k${seq}`))).seq
    // Fill the now-active segment, then fail the next segment's header write.
    const fault = fs.injectFault({ op: 'open', path: /\.wal$/, error: 'ENOSPC', sticky: true })
    let rejected = 0
    for (let i = 0; i < 30; i++) {
      await wal.append(put(`x${i}`)).then(
        () => undefined,
        (e: unknown) => {
          expect(e).toBeInstanceOf(WalWriteError)
          rejected++
        },
      )
    }
    expect(rejected).toBeGreaterThan(0)
    fault.remove()
    const next = await wal.append(put('after'))
    expect(next.seq).toBe(wal.lastSeq)
    const all = await collect(wal)
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: next.seq }, (_, i) => i + 1))
    await wal.close()
    expect((await readAll(fs)).lastSeq).toBe(next.seq)
  })

  it('a failed floor write leaves the old floor', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    for (let i = 0; i < 5; i++) await wal.append(put(`k${i}`))
    fs.injectFault({ op: 'rename', error: 'EIO' })
    await expect(wal.truncateBefore(3)).rejects.toMatchObject({ code: 'WRITE_FAILED' })
    expect(wal.floorSeq).toBe(0)
    expect((await collect(wal)).length).toBe(5)
    await wal.truncateBefore(3)
    expect((await collect(wal)).map((e) => e.seq)).toEqual([4, 5])
    await wal.close()
  })
})
