import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  LockedError,
  Wal,
  WalClosedError,
  WAL_MAX_BATCH_BYTES,
  WAL_MAX_BATCH_ENTRIES,
  WAL_MAX_KEY_BYTES,
  WAL_MAX_VALUE_BYTES,
} from '../src/index.js'
import { DIR, collect, dec, enc, plain, readAll } from './helpers.js'

describe('Wal basics', () => {
  it('appends, replays and continues the sequence after reopen', async () => {
    const fs = new SimFileSystem()
    let t = 1000
    const wal = await Wal.open(DIR, { fs, now: () => t++ })
    expect(wal.lastSeq).toBe(0)
    const a = await wal.append({ op: 'put', key: enc('a'), value: enc('1') })
    expect(a).toMatchObject({ seq: 1, timestampMs: 1000, op: 'put', isTombstone: false })
    const d = await wal.append({ op: 'delete', key: enc('a') })
    expect(d).toMatchObject({ seq: 2, op: 'delete', value: null, isTombstone: true })
    const batch = await wal.appendBatch([
      { op: 'put', key: enc('b'), value: enc('2') },
      { op: 'put', key: enc('c'), value: enc('') },
    ])
    expect(batch.map((e) => e.seq)).toEqual([3, 4])
    expect(wal.lastSeq).toBe(4)
    const entries = await collect(wal)
    expect(entries.map(plain)).toEqual([
      { seq: 1, op: 'put', key: 'a', value: '1' },
      { seq: 2, op: 'delete', key: 'a', value: null },
      { seq: 3, op: 'put', key: 'b', value: '2' },
      { seq: 4, op: 'put', key: 'c', value: '' },
    ])
    expect(entries[0]!.timestampMs).toBe(1000)
    expect(entries[1]!.isTombstone).toBe(true)
    await wal.close()
    await wal.close() // idempotent

    const again = await Wal.open(DIR, { fs })
    expect(again.lastSeq).toBe(4)
    expect(again.recoveryReport.actions).toEqual([])
    expect((await again.append({ op: 'put', key: enc('d'), value: enc('3') })).seq).toBe(5)
    expect((await collect(again, 4)).map((e) => e.seq)).toEqual([4, 5])
    await again.close()
  })

  it('rolls segments and replays across them, from any seq', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
    for (let i = 0; i < 100; i++) await wal.append({ op: 'put', key: enc(`k${i}`), value: enc('x'.repeat(50)) })
    const segs = (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal'))
    expect(segs.length).toBeGreaterThan(5)
    for (const from of [1, 17, 50, 99, 100, 101]) {
      const seqs = (await collect(wal, from)).map((e) => e.seq)
      expect(seqs).toEqual(Array.from({ length: Math.max(0, 101 - from) }, (_, i) => from + i))
    }
    await wal.close()
    const { entries, lastSeq } = await readAll(fs)
    expect(lastSeq).toBe(100)
    expect(entries.map((e) => e.key)).toEqual(Array.from({ length: 100 }, (_, i) => `k${i}`))
  })

  it('concurrent appends and batches get seqs in call order, batches contiguous', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, segmentBytes: 2048 })
    const ps: Promise<unknown>[] = []
    for (let i = 0; i < 200; i++) {
      ps.push(
        i % 7 === 0
          ? wal.appendBatch([
              { op: 'put', key: enc(`b${i}-0`), value: enc('v') },
              { op: 'delete', key: enc(`b${i}-1`) },
            ])
          : wal.append({ op: 'put', key: enc(`s${i}`), value: enc('v'.repeat(i)) }),
      )
    }
    await Promise.all(ps)
    const entries = (await collect(wal)).map(plain)
    const expected: string[] = []
    for (let i = 0; i < 200; i++) expected.push(...(i % 7 === 0 ? [`b${i}-0`, `b${i}-1`] : [`s${i}`]))
    expect(entries.map((e) => e.key)).toEqual(expected)
    expect(entries.map((e) => e.seq)).toEqual(expected.map((_, i) => i + 1))
    await wal.close()
  })

  it('truncateBefore removes entries for good and drops whole segments', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
    for (let i = 0; i < 60; i++) await wal.append({ op: 'put', key: enc(`k${i}`), value: enc('y'.repeat(40)) })
    const before = (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal')).length
    await wal.truncateBefore(30)
    const after = (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal')).length
    expect(after).toBeLessThan(before)
    expect((await collect(wal)).map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 31 + i))
    expect((await collect(wal, 5)).map((e) => e.seq)[0]).toBe(31)
    await wal.truncateBefore(10) // below the floor: nothing happens
    await expect(wal.truncateBefore(61)).rejects.toBeInstanceOf(InvalidArgumentError)
    await wal.truncateBefore(60)
    expect(await collect(wal)).toEqual([])
    expect((await wal.append({ op: 'put', key: enc('z'), value: enc('z') })).seq).toBe(61)
    await wal.close()
    const { entries, lastSeq } = await readAll(fs)
    expect(lastSeq).toBe(61)
    expect(entries.map((e) => e.seq)).toEqual([61])
  })

  it('rejects bad input with INVALID_ARGUMENT before writing anything', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    fs.resetStats()
    const bad: unknown[] = [
      null,
      {},
      { op: 'put', key: 'a', value: enc('') },
      { op: 'put', key: enc('a') },
      { op: 'put', key: enc('a'), value: 'x' },
      { op: 'delete', key: enc('a'), value: enc('x') },
      { op: 'merge', key: enc('a') },
      { op: 'put', key: new Uint8Array(WAL_MAX_KEY_BYTES + 1), value: enc('') },
      { op: 'put', key: enc('a'), value: new Uint8Array(WAL_MAX_VALUE_BYTES + 1) },
    ]
    for (const op of bad) {
      // @ts-expect-error deliberately wrong input
      const err: unknown = await wal.append(op).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(InvalidArgumentError)
      expect((err as InvalidArgumentError).code).toBe('INVALID_ARGUMENT')
    }
    await expect(wal.appendBatch([])).rejects.toBeInstanceOf(InvalidArgumentError)
    // @ts-expect-error deliberately wrong input
    await expect(wal.appendBatch('x')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(
      wal.appendBatch([{ op: 'put', key: enc('ok'), value: enc('ok') }, { op: 'put', key: enc('bad') } as never]),
    ).rejects.toBeInstanceOf(InvalidArgumentError)
    const many = Array.from({ length: WAL_MAX_BATCH_ENTRIES + 1 }, () => ({ op: 'delete' as const, key: enc('k') }))
    await expect(wal.appendBatch(many)).rejects.toBeInstanceOf(InvalidArgumentError)
    const big = new Uint8Array(WAL_MAX_VALUE_BYTES)
    const tooManyBytes = Array.from({ length: Math.ceil(WAL_MAX_BATCH_BYTES / WAL_MAX_VALUE_BYTES) + 1 }, () => ({ op: 'put' as const, key: enc('k'), value: big }))
    await expect(wal.appendBatch(tooManyBytes)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(wal.truncateBefore(-1)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(wal.truncateBefore(1.5)).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(fs.stats.writes).toBe(0)
    expect(wal.lastSeq).toBe(0)
    await wal.close()
    await expect(Wal.open(DIR, { fs, segmentBytes: 10 })).rejects.toBeInstanceOf(InvalidArgumentError)
    // @ts-expect-error deliberately wrong input
    await expect(Wal.open(DIR, { fs, sync: 'sometimes' })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('a second writer gets LOCKED; closed logs reject with CLOSED; asyncDispose closes', async () => {
    const fs = new SimFileSystem()
    {
      await using wal = await Wal.open(DIR, { fs })
      const err: unknown = await Wal.open(DIR, { fs }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(LockedError)
      expect((err as LockedError).code).toBe('LOCKED')
      await wal.append({ op: 'put', key: enc('a'), value: enc('b') })
    }
    const wal = await Wal.open(DIR, { fs })
    const pending = wal.append({ op: 'put', key: enc('c'), value: enc('d') })
    const closing = wal.close()
    await expect(pending).resolves.toMatchObject({ seq: 2 }) // queued before close: written
    await closing
    await expect(wal.append({ op: 'put', key: enc('e'), value: enc('f') })).rejects.toBeInstanceOf(WalClosedError)
    await expect(wal.appendBatch([{ op: 'delete', key: enc('e') }])).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(wal.truncateBefore(1)).rejects.toMatchObject({ code: 'CLOSED' })
    expect((await readAll(fs)).entries.map((e) => dec(e.key === null ? null : enc(e.key)))).toEqual(['a', 'c'])
  })

  it("sync 'none' resolves without fdatasync and close makes it durable", async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, sync: 'none' })
    fs.resetStats()
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append({ op: 'put', key: enc(`k${i}`), value: enc('v') })))
    expect(fs.stats.syncs).toBe(0)
    await wal.close()
    expect((await readAll(fs.crash(1))).lastSeq).toBe(50)
  })

  it('replay sees the log as of its start, tolerates appends and truncation meanwhile, and can stop early', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
    for (let i = 1; i <= 60; i++) await wal.append({ op: 'put', key: enc(`k${i}`), value: enc('z'.repeat(40)) })
    const seen: number[] = []
    for await (const e of wal.replay()) {
      seen.push(e.seq)
      if (e.seq === 10) await wal.append({ op: 'put', key: enc('late'), value: enc('late') })
      if (e.seq === 20) await wal.truncateBefore(40) // drops segments the replay has not reached
    }
    expect(seen.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(seen[seen.length - 1]).toBe(60) // not 61: appended after the replay began
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!)
    // Stopping early releases the segment being read.
    for await (const e of wal.replay({ fromSeq: 45 })) if (e.seq === 46) break
    expect((await collect(wal)).map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => 41 + i))
    await wal.close()
    await expect(collect(wal)).rejects.toBeInstanceOf(WalClosedError)
  })

  it('a clock that returns garbage is an INVALID_ARGUMENT, not a corrupt log', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, now: () => Number.NaN })
    await expect(wal.append({ op: 'put', key: enc('a'), value: enc('b') })).rejects.toBeInstanceOf(InvalidArgumentError)
    await wal.close()
  })
})
