import { describe, expect, it } from 'vitest'
import { ConflictError } from '../src/index.js'
import type { Transaction } from '../src/transaction.js'
import { backends } from './backends.js'
import { collect, memoryDb } from './helpers.js'

// Issue 13, known debt: a scan with `limit` (or one the caller stops early) must count as read only
// the range it actually read, so serializable transactions do not conflict falsely; a write inside
// what it read must still conflict.

async function seeded() {
  const db = memoryDb('serializable')
  await db.transaction(async (tx) => {
    for (const k of ['a/1', 'a/3', 'a/5', 'a/7']) await tx.put(k, k)
  })
  return db
}

async function take(tx: Transaction, options: Parameters<Transaction['scan']>[0], n = Infinity): Promise<string[]> {
  const keys: string[] = []
  for await (const [k] of tx.scan(options)) {
    keys.push(k)
    if (keys.length >= n) break
  }
  return keys
}

/** T1 scans, T2 writes `key` and commits, T1 writes elsewhere and commits: conflict or not. */
async function raced(scan: (tx: Transaction) => Promise<string[]>, key: string): Promise<{ read: string[]; conflict: boolean }> {
  const db = await seeded()
  const t1 = db.begin()
  const read = await scan(t1)
  await db.transaction(async (t2) => t2.put(key, 'new'))
  await t1.put('elsewhere', 1)
  const conflict = await t1.commit().then(
    () => false,
    (err: unknown) => {
      if (!(err instanceof ConflictError)) throw err
      return true
    },
  )
  await db.close()
  return { read, conflict }
}

describe('serializable: what a limited scan read is what it conflicts on', () => {
  it('forward, limit 2 (read a/1, a/3): a write after what was read does not conflict; inside it, or before it, does', async () => {
    const scan = (tx: Transaction) => take(tx, { prefix: 'a/', limit: 2 })
    expect(await raced(scan, 'a/6')).toEqual({ read: ['a/1', 'a/3'], conflict: false })
    expect(await raced(scan, 'a/5')).toEqual({ read: ['a/1', 'a/3'], conflict: false })
    expect(await raced(scan, 'a/3')).toMatchObject({ conflict: true })
    expect(await raced(scan, 'a/2')).toMatchObject({ conflict: true }) // a phantom inside what was read
    expect(await raced(scan, 'a/0')).toMatchObject({ conflict: true })
  })

  it('reverse, limit 2 (read a/7, a/5): a write below what was read does not conflict; inside it, or after it, does', async () => {
    const scan = (tx: Transaction) => take(tx, { prefix: 'a/', limit: 2, reverse: true })
    expect(await raced(scan, 'a/4')).toEqual({ read: ['a/7', 'a/5'], conflict: false })
    expect(await raced(scan, 'a/6')).toMatchObject({ conflict: true })
    expect(await raced(scan, 'a/8')).toMatchObject({ conflict: true })
  })

  it('a scan the caller stops early counts only what it yielded', async () => {
    const scan = (tx: Transaction) => take(tx, { prefix: 'a/' }, 1)
    expect(await raced(scan, 'a/4')).toEqual({ read: ['a/1'], conflict: false })
    expect(await raced(scan, 'a/1')).toMatchObject({ conflict: true })
  })

  it('a scan that reached the end of its range still counts the whole range (phantoms after the last key)', async () => {
    const scan = (tx: Transaction) => take(tx, { prefix: 'a/', limit: 10 })
    expect(await raced(scan, 'a/9')).toMatchObject({ conflict: true })
  })

  it('limit 0 reads nothing and conflicts on nothing', async () => {
    const scan = (tx: Transaction) => take(tx, { prefix: 'a/', limit: 0 })
    expect(await raced(scan, 'a/1')).toEqual({ read: [], conflict: false })
  })
})

// Found by test/model.test.ts (CI, 'serializable', MvccStore on SimFileSystem): the serial model
// counted a limit-0 scan of an empty range as reading the whole range and demanded a conflict.
// A limit-0 scan returns [] in every state, so it read nothing: T2 serialises after T0.
describe('serializable: a limit-0 scan of an empty range reads nothing (model counterexample)', () => {
  for (const backend of backends) {
    it(`${backend.name}: the writer commits after a concurrent commit into the scanned range`, async () => {
      const db = await backend.open('serializable')
      try {
        const [t0, t1, t2, t3] = [db.begin(), db.begin(), db.begin(), db.begin()]
        await t0.put('ab', 0)
        expect(await collect(t2.scan({ limit: 0 }))).toEqual([])
        await t1.abort()
        await t0.commit()
        await t2.delete('a')
        await expect(t2.commit()).resolves.toBeTypeOf('number')
        await t3.abort()
      } finally {
        await db.close()
      }
    })
  }
})
