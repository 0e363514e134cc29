import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import {
  ClosedError,
  ConflictError,
  InvalidArgumentError,
  MvccStore,
  ReadOnlyError,
  TransactionClosedError,
  TransactionTimeoutError,
} from '../src/index.js'
import { msgpackCodec } from '@quire/codec'
import { SnapshotStore } from '@quire/snapshots'
import { Wal } from '@quire/wal'
import { COMMIT_INFO_KEY, encodeCommitInfo } from '../src/commit-format.js'
import { collect } from './helpers.js'

const open = (fs = new SimFileSystem(), options: Parameters<typeof MvccStore.open>[1] = {}) =>
  MvccStore.open('/db', { fs, ...options })

describe('MvccStore', () => {
  it('commits survive close and reopen, deletes included', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs)
    const ts1 = await db.transaction(async (tx) => {
      await tx.put('a', { n: 1, when: new Date(5) })
      await tx.put('b', [1, 2, 3])
    })
    expect(ts1).toBeUndefined()
    const tx = db.begin()
    await tx.delete('a')
    await tx.put('c', 'three')
    const ts = await tx.commit()
    expect(ts).toBe(2)
    await db.close()
    await db.close() // idempotent
    const again = await open(fs)
    expect(await again.transaction((t) => collect(t.scan()))).toEqual([
      ['b', [1, 2, 3]],
      ['c', 'three'],
    ])
    // Commit timestamps continue after recovery.
    const next = again.begin()
    await next.put('d', 4)
    expect(await next.commit()).toBe(3)
    await again.close()
  })

  it('a new transaction never sees a commit that is not yet durable', async () => {
    const db = await open()
    const writer = db.begin()
    await writer.put('k', 'v')
    const committing = writer.commit()
    // The WAL has not acknowledged yet: a transaction begun now must not see the write.
    const early = db.begin()
    expect(await early.get('k')).toBeUndefined()
    await committing
    expect(await early.get('k')).toBeUndefined() // its snapshot was taken at begin
    expect(await db.begin().get('k')).toBe('v')
    await db.close()
  })

  it('concurrent commits share fsyncs (group commit)', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs)
    fs.resetStats()
    await Promise.all(
      Array.from({ length: 256 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.put(`k${i}`, i)
        }),
      ),
    )
    expect(fs.stats.syncs).toBeLessThan(16)
    expect((await db.transaction((tx) => collect(tx.scan()))).length).toBe(256)
    await db.close()
  })

  it('scans return the snapshot of begin while others commit, across scan chunks', async () => {
    const db = await open()
    await db.transaction(async (tx) => {
      for (let i = 0; i < 1000; i++) await tx.put(`k${String(i).padStart(4, '0')}`, i)
    })
    const reader = db.begin({ readOnly: true })
    const seen: [string, unknown][] = []
    let n = 0
    for await (const entry of reader.scan({ prefix: 'k' })) {
      seen.push(entry)
      if (++n % 100 === 0) {
        await db.transaction(async (tx) => {
          await tx.delete(`k${String(n + 50).padStart(4, '0')}`)
          await tx.put(`k${String(n + 10).padStart(4, '0')}x`, 'inserted')
          await tx.put(`k${String(n - 10).padStart(4, '0')}`, 'updated')
        })
      }
    }
    expect(seen.length).toBe(1000)
    expect(seen.every(([k, v]) => k === `k${String(v).padStart(4, '0')}`)).toBe(true)
    const reversed = await collect(reader.scan({ prefix: 'k', reverse: true, limit: 3 }))
    expect(reversed.map(([k]) => k)).toEqual(['k0999', 'k0998', 'k0997'])
    await reader.commit()
    await db.close()
  })

  it('orders keys by UTF-8 bytes in scans, astral characters after U+FFFF', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs)
    const keys = ['😀', '\uFFFF', 'a', 'é', '\uE000', 'z']
    await db.transaction(async (tx) => {
      for (const k of keys) await tx.put(k, k)
    })
    const expected = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    expect(expected).toEqual(['a', 'z', 'é', '\uE000', '\uFFFF', '😀'])
    expect((await db.transaction((tx) => collect(tx.scan()))).map(([k]) => k)).toEqual(expected)
    expect((await db.transaction((tx) => collect(tx.scan({ gte: '\uFFFF' })))).map(([k]) => k)).toEqual(['\uFFFF', '😀'])
    await db.checkpoint()
    await db.close()
    const again = await open(fs)
    expect((await again.transaction((tx) => collect(tx.scan({ reverse: true })))).map(([k]) => k)).toEqual(expected.reverse())
    await again.close()
  })

  it('typed errors: TX_CLOSED, READ_ONLY, INVALID_ARGUMENT, CLOSED, LOCKED, CONFLICT', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs)
    const tx = db.begin()
    await tx.put('a', 1)
    await tx.commit()
    await expect(tx.get('a')).rejects.toBeInstanceOf(TransactionClosedError)
    await expect(tx.put('a', 2)).rejects.toMatchObject({ code: 'TX_CLOSED' })
    await expect(tx.commit()).rejects.toMatchObject({ code: 'TX_CLOSED' })
    await expect(tx.abort()).rejects.toMatchObject({ code: 'TX_CLOSED' })

    const ro = db.begin({ readOnly: true })
    await expect(ro.put('a', 1)).rejects.toBeInstanceOf(ReadOnlyError)
    await expect(ro.delete('a')).rejects.toMatchObject({ code: 'READ_ONLY' })

    const bad = db.begin()
    await expect(bad.put('', 1)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(bad.put('k', undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(bad.put('k', () => 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(bad.put('k', 'x'.repeat(1024 * 1024 + 1))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(bad.get('\uD800')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(collect(bad.scan({ limit: 1.5 }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(db.transaction(() => Promise.resolve(), { retries: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(MvccStore.open('/other', { fs, isolation: 'chaos' as 'snapshot' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    // Nothing half-done: the transaction still works after rejected input.
    await bad.put('ok', 1)
    await bad.commit()

    await expect(open(fs)).rejects.toMatchObject({ code: 'LOCKED' })

    const t1 = db.begin()
    const t2 = db.begin()
    await t1.put('x', 1)
    await t2.put('x', 2)
    await t1.commit()
    const conflict = await t2.commit().catch((e: unknown) => e)
    expect(conflict).toBeInstanceOf(ConflictError)
    expect(conflict).toMatchObject({ code: 'CONFLICT', key: 'x', kind: 'write-write' })

    const open1 = db.begin()
    await db.close()
    await expect(open1.get('a')).rejects.toBeInstanceOf(ClosedError)
    expect(() => db.begin()).toThrow(ClosedError)
    await expect(db.checkpoint()).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('db.transaction retries on conflict and returns the body result', async () => {
    const db = await open()
    await db.transaction((tx) => tx.put('counter', 0))
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction(
          async (tx) => {
            const n = (await tx.get('counter')) as number
            await tx.put('counter', n + 1)
            return i
          },
          { retries: 100 },
        ),
      ),
    )
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(await db.begin().get('counter')).toBe(20)
    // A body error aborts and is rethrown, not retried.
    await expect(
      db.transaction(async (tx) => {
        await tx.put('counter', -1)
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await db.begin().get('counter')).toBe(20)
    await db.close()
  })

  it('garbage-collects versions no open transaction can see; an old reader holds them until it ends', async () => {
    const db = await open()
    for (let i = 0; i < 50; i++) await db.transaction((tx) => tx.put('k', i))
    expect(db.stats().versions).toBe(1)
    const old = db.begin()
    for (let i = 0; i < 50; i++) await db.transaction((tx) => tx.put('k', 100 + i))
    expect(db.stats().versions).toBeGreaterThan(1)
    expect(await old.get('k')).toBe(49)
    await old.abort()
    expect(db.stats().versions).toBe(1)
    // Deleted keys disappear once nobody can see them.
    await db.transaction((tx) => tx.delete('k'))
    expect(db.stats()).toMatchObject({ keys: 0, versions: 0 })
    await db.close()
  })

  it('aborts a transaction open longer than txTimeoutMs, releasing garbage collection', async () => {
    let clock = 0
    const db = await open(new SimFileSystem(), { txTimeoutMs: 1000, now: () => clock })
    await db.transaction((tx) => tx.put('k', 0))
    const abandoned = db.begin()
    expect(await abandoned.get('k')).toBe(0)
    for (let i = 1; i <= 10; i++) await db.transaction((tx) => tx.put('k', i))
    expect(db.stats().versions).toBeGreaterThan(1)
    clock = 1001
    await db.transaction((tx) => tx.put('k', 11)) // begin() expires old transactions
    expect(db.stats()).toMatchObject({ versions: 1, openTransactions: 0 })
    await expect(abandoned.get('k')).rejects.toBeInstanceOf(TransactionTimeoutError)
    await expect(abandoned.commit()).rejects.toMatchObject({ code: 'TX_TIMEOUT' })
    await abandoned.abort() // aborting a timed-out transaction is allowed
    await db.close()
  })

  it('checkpoint saves the committed state, truncates the WAL, and recovery uses both', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs, { segmentBytes: 4096 })
    for (let i = 0; i < 200; i++) await db.transaction((tx) => tx.put(`k${i % 50}`, i))
    const result = await db.checkpoint()
    expect(result).toMatchObject({ commitTs: 200, keys: 50 })
    const walFiles = await fs.readdir('/db/wal')
    for (let i = 200; i < 230; i++) await db.transaction((tx) => tx.put(`k${i % 50}`, i))
    await db.transaction((tx) => tx.delete('k0'))
    const before = await db.transaction((tx) => collect(tx.scan()))
    await db.close()
    expect(walFiles.length).toBeLessThan(10)
    const again = await open(fs)
    expect(await again.transaction((tx) => collect(tx.scan()))).toEqual(before)
    expect(again.stats().visibleTs).toBe(231)
    await again.close()
  })
})

describe('MvccStore faults', () => {
  it('a failed fsync fails the commit and stops commits until reopened; recovery finds a consistent state', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs)
    await db.transaction((tx) => tx.put('a', 1))
    const fault = fs.injectFault({ op: 'sync', path: /wal/, error: 'EIO' })
    const tx = db.begin()
    await tx.put('a', 2)
    await expect(tx.commit()).rejects.toMatchObject({ code: 'POISONED' })
    fault.remove()
    // The outcome of that commit is unknown, so the store refuses to build on it.
    await expect(db.transaction((t) => t.put('b', 1))).rejects.toMatchObject({ code: 'POISONED' })
    await expect(db.checkpoint()).rejects.toMatchObject({ code: 'POISONED' })
    await db.close()
    const again = await open(fs)
    const value = await again.begin().get('a')
    expect([1, 2]).toContain(value)
    await again.transaction((t) => t.put('b', 1))
    await again.close()
  })

  it('refuses to open when the newest checkpoint is damaged and the WAL was truncated past the older one', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs, { segmentBytes: 1024 })
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 30; i++) await db.transaction((tx) => tx.put(`k${i}`, round))
      await db.checkpoint()
    }
    await db.close()
    const dirs = await fs.readdir('/db/snapshots')
    const files: string[] = []
    for (const d of dirs) {
      const path = `/db/snapshots/${d}`
      if ((await fs.stat(path)).isDirectory) for (const f of await fs.readdir(path)) files.push(`${path}/${f}`)
    }
    const newest = files.filter((f) => !f.includes('lock')).sort().at(-1)!
    fs.corruptByte(newest, 40)
    await expect(open(fs)).rejects.toMatchObject({ code: 'CORRUPT' })
  })

  it('refuses with CORRUPT a checkpoint whose state holds one key twice (well framed, so only the key count shows it)', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs)
    await db.transaction(async (tx) => {
      await tx.put('a', 1)
      await tx.put('b', 2)
    })
    await db.checkpoint()
    await db.close()
    const snaps = await SnapshotStore.open('/db/snapshots', { fs, codec: 'raw' })
    const current = await snaps.load('mvcc')
    const state = (current!.state as Uint8Array).slice()
    // Header (32), then [u32 1]['a'][u32 1][0x01][u32 1]['b']...: the second key becomes 'a'.
    expect(state[46]).toBe(0x62)
    state[46] = 0x61
    // A newer checkpoint: its commit timestamp is its position.
    const position = current!.position + 1
    new DataView(state.buffer).setUint32(12, position, true)
    await snaps.save('mvcc', { position, state, schemaVersion: 1 })
    await snaps.close()
    await expect(open(fs)).rejects.toMatchObject({ code: 'CORRUPT' })
  })

  it('recovery reads ASCII and non-ASCII keys back, and refuses a key that is not valid UTF-8 with CORRUPT', async () => {
    const fs = new SimFileSystem()
    const db = await open(fs)
    await db.transaction(async (tx) => {
      await tx.put('plain', 1)
      await tx.put('é😀', 2)
    })
    await db.close()
    const again = await open(fs)
    expect(await collect(again.begin().scan())).toEqual([['plain', 1], ['é😀', 2]])
    await again.close()
    // A batch shaped like a commit whose key is not UTF-8 (0xFF inside): not written by this package.
    const wal = await Wal.open('/db/wal', { fs })
    await wal.appendBatch([
      { op: 'put', key: Uint8Array.of(0x6b, 0xff, 0x6b), value: msgpackCodec.encode(3) },
      { op: 'put', key: COMMIT_INFO_KEY, value: encodeCommitInfo(99, 1) },
    ])
    await wal.close()
    await expect(open(fs)).rejects.toMatchObject({ code: 'CORRUPT' })
  })

  it('await using: an open transaction is aborted and the store closed at scope end', async () => {
    const fs = new SimFileSystem()
    {
      await using db = await open(fs)
      {
        await using tx = db.begin()
        await tx.put('k', 1)
      }
      expect(db.stats().openTransactions).toBe(0)
      expect(await db.begin().get('k')).toBeUndefined()
      await db.transaction((tx) => tx.put('k', 2))
    }
    const again = await open(fs) // the lock was released
    expect(await again.begin().get('k')).toBe(2)
    await again.close()
  })
})
