import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { MAX_TX_WRITES, MvccStore } from '../src/index.js'

// Regressions for bugs found in review: each of these failed before its fix.
describe('review regressions', () => {
  it('a transaction at MAX_TX_WRITES commits, and the store keeps working', async () => {
    const db = await MvccStore.open('/db', { fs: new SimFileSystem() })
    const big = db.begin()
    for (let i = 0; i < MAX_TX_WRITES; i++) await big.put(`k${i}`, i)
    await big.commit()
    await db.transaction(async (tx) => tx.put('after', 1))
    expect(await db.begin({ readOnly: true }).get(`k${MAX_TX_WRITES - 1}`)).toBe(MAX_TX_WRITES - 1)
    await db.close()
  })

  it('writes beyond what one WAL batch can hold are refused at put, and the store keeps working', async () => {
    const db = await MvccStore.open('/db', { fs: new SimFileSystem() })
    const tx = db.begin()
    const put = async (): Promise<void> => {
      for (let i = 0; i < 40; i++) await tx.put(`k${i}`, new Uint8Array(1024 * 1024 - 16))
    }
    await expect(put()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await tx.abort()
    await db.transaction(async (t) => t.put('after', 1))
    await db.close()
  })

  it('db.transaction rejects with TX_TIMEOUT when the store timed the transaction out', async () => {
    const db = await MvccStore.open('/db', { fs: new SimFileSystem(), txTimeoutMs: 50 })
    const run = db.transaction(async (tx) => {
      await tx.put('k', 'v')
      await new Promise((resolve) => setTimeout(resolve, 200))
      return 'ok'
    })
    await expect(run).rejects.toMatchObject({ code: 'TX_TIMEOUT' })
    expect(await db.begin({ readOnly: true }).get('k')).toBeUndefined()
    await db.close()
  })

  it('db.transaction rejects when the store is closed under it', async () => {
    const db = await MvccStore.open('/db', { fs: new SimFileSystem() })
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const running = db.transaction(async (tx) => {
      await tx.put('k', 'v')
      await gate
      return 'ok'
    })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const closing = db.close()
    release()
    await expect(running).rejects.toMatchObject({ code: 'CLOSED' })
    await closing
  })

  it("a scan sees the transaction's own writes as they were when it began", async () => {
    const db = await MvccStore.open('/db', { fs: new SimFileSystem() })
    const k = (i: number): string => `k${String(i).padStart(4, '0')}`
    await db.transaction(async (t) => {
      for (let i = 0; i < 600; i++) await t.put(k(i), 'committed')
    })
    const tx = db.begin()
    await tx.put(k(500), 'before')
    await tx.put(k(501), 'before')
    const seen = new Map<string, unknown>()
    for await (const [key, value] of tx.scan()) {
      seen.set(key, value)
      if (key === k(0)) {
        await tx.put(k(500), 'AFTER')
        await tx.delete(k(501))
      }
    }
    expect(seen.get(k(500))).toBe('before')
    expect(seen.get(k(501))).toBe('before')
    await tx.abort()
    await db.close()
  })

  it('after a failed WAL sync and a reopen, a commit that was never durable stays invisible and later commits survive a power loss', async () => {
    const fs = new SimFileSystem()
    const db = await MvccStore.open('/db', { fs })
    await db.transaction(async (tx) => tx.put('a', 1))
    const fault = fs.injectFault({ op: 'sync', path: /wal/, error: 'EIO' })
    const tx = db.begin()
    await tx.put('a', 2)
    await expect(tx.commit()).rejects.toMatchObject({ code: 'POISONED' })
    fault.remove()
    await db.close().catch(() => undefined)
    const again = await MvccStore.open('/db', { fs })
    expect(await again.begin({ readOnly: true }).get('a')).toBe(1)
    await again.transaction(async (t) => t.put('b', 1))
    await again.close()
    for (const seed of [1, 2, 3]) {
      const reopened = await MvccStore.open('/db', { fs: fs.crash(seed) })
      const r = reopened.begin({ readOnly: true })
      expect([await r.get('a'), await r.get('b')]).toEqual([1, 1])
      await reopened.close()
    }
  })
})
