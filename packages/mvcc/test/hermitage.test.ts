// The Hermitage anomaly tests (Martin Kleppmann, github.com/ept/hermitage), as run there against
// PostgreSQL, MySQL and others, translated to this API. Each test names its schedule:
// w1[x] = T1 writes x, r2[x] = T2 reads x, c1 = T1 commits, a1 = T1 aborts.
// Setup in every test: key "1" = 10, key "2" = 20.
// Expected outcomes are the ones of the issue: snapshot isolation prevents G0, G1a, G1b, G1c,
// OTV, PMP, P4 and G-single, and allows G2-item and G2 (like PostgreSQL's REPEATABLE READ);
// serializable prevents all of them, including the read-only two-edge variant of G2.
import { describe, expect, it } from 'vitest'
import { ConflictError } from '../src/errors.js'
import type { IsolationLevel } from '../src/engine.js'
import type { Transaction } from '../src/transaction.js'
import { collect, type TestDb } from './helpers.js'
import { backends } from './backends.js'

const levels: IsolationLevel[] = ['snapshot', 'serializable']

async function setup(open: (level: IsolationLevel) => Promise<TestDb>, level: IsolationLevel): Promise<TestDb> {
  const db = await open(level)
  await db.transaction(async (tx) => {
    await tx.put('1', 10)
    await tx.put('2', 20)
  })
  return db
}

async function snapshotOf(db: TestDb): Promise<[string, unknown][]> {
  return db.transaction((tx) => collect(tx.scan()), { readOnly: true })
}

/** Keys whose value matches `predicate`, read by scanning (a predicate read). */
async function where(tx: Transaction, predicate: (v: number) => boolean): Promise<[string, unknown][]> {
  return (await collect(tx.scan())).filter(([, v]) => predicate(v as number))
}

for (const backend of backends) {
  for (const level of levels) {
    describe(`Hermitage on ${backend.name}, isolation '${level}'`, () => {
      const open = backend.open

      it('G0 write cycles: w1[1] w2[1] w1[2] c1 w2[2] c2 — prevented (T2 conflicts)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        await t1.put('1', 11)
        await t2.put('1', 12)
        await t1.put('2', 21)
        await t1.commit()
        await t2.put('2', 22)
        await expect(t2.commit()).rejects.toBeInstanceOf(ConflictError)
        expect(await snapshotOf(db)).toEqual([['1', 11], ['2', 21]])
        await db.close()
      })

      it('G1a aborted reads: w1[1] r2[1] a1 r2[1] c2 — prevented (T2 never sees 101)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        await t1.put('1', 101)
        expect(await t2.get('1')).toBe(10)
        await t1.abort()
        expect(await t2.get('1')).toBe(10)
        await t2.commit()
        expect(await snapshotOf(db)).toEqual([['1', 10], ['2', 20]])
        await db.close()
      })

      it('G1b intermediate reads: w1[1=101] r2[1] w1[1=11] c1 r2[1] c2 — prevented (T2 never sees 101)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        await t1.put('1', 101)
        expect(await t2.get('1')).toBe(10)
        await t1.put('1', 11)
        await t1.commit()
        expect(await t2.get('1')).toBe(10)
        await t2.commit()
        await db.close()
      })

      it('G1c circular information flow: w1[1] w2[2] r1[2] r2[1] c1 c2 — prevented (neither sees the other; serializable: T2 conflicts)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        await t1.put('1', 11)
        await t2.put('2', 22)
        expect(await t1.get('2')).toBe(20)
        expect(await t2.get('1')).toBe(10)
        await t1.commit()
        if (level === 'snapshot') {
          await t2.commit()
          expect(await snapshotOf(db)).toEqual([['1', 11], ['2', 22]])
        } else {
          // Each read what the other wrote, unseen: a write skew too, so T2 must not commit.
          await expect(t2.commit()).rejects.toBeInstanceOf(ConflictError)
          expect(await snapshotOf(db)).toEqual([['1', 11], ['2', 20]])
        }
        await db.close()
      })

      it('OTV observed transaction vanishes: w1[1] w1[2] w2[1] c1 r3[1] w2[2] r3[2] c2 — prevented', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        await t1.put('1', 11)
        await t1.put('2', 19)
        await t2.put('1', 12)
        await t1.commit()
        const t3 = db.begin()
        expect(await t3.get('1')).toBe(11)
        await t2.put('2', 18)
        expect(await t3.get('2')).toBe(19)
        await expect(t2.commit()).rejects.toBeInstanceOf(ConflictError)
        expect(await t3.get('2')).toBe(19)
        expect(await t3.get('1')).toBe(11)
        await t3.commit()
        await db.close()
      })

      it('PMP predicate-many-preceders (read): r1[P] w2[insert 3=30 in P] c2 r1[P] c1 — prevented (T1 sees no phantom)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        expect(await where(t1, (v) => v === 30)).toEqual([])
        await t2.put('3', 30)
        await t2.commit()
        expect(await where(t1, (v) => v % 3 === 0)).toEqual([])
        await t1.commit()
        await db.close()
      })

      it('PMP predicate-many-preceders (write): w1[all += 10] r2[value=20] w2[delete it] c1 c2 — prevented (T2 conflicts)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        for (const [key, value] of await collect(t1.scan())) await t1.put(key, (value as number) + 10)
        const matches = await where(t2, (v) => v === 20)
        expect(matches).toEqual([['2', 20]])
        for (const [key] of matches) await t2.delete(key)
        await t1.commit()
        await expect(t2.commit()).rejects.toBeInstanceOf(ConflictError)
        expect(await snapshotOf(db)).toEqual([['1', 20], ['2', 30]])
        await db.close()
      })

      it('P4 lost update: r1[1] r2[1] w1[1=11] w2[1=11] c1 c2 — prevented (T2 conflicts)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        expect(await t1.get('1')).toBe(10)
        expect(await t2.get('1')).toBe(10)
        await t1.put('1', 11)
        await t2.put('1', 11)
        await t1.commit()
        await expect(t2.commit()).rejects.toBeInstanceOf(ConflictError)
        await db.close()
      })

      it('G-single read skew: r1[1] r2[1] r2[2] w2[1=12] w2[2=18] c2 r1[2] c1 — prevented (T1 reads 20, not 18)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        expect(await t1.get('1')).toBe(10)
        expect(await t2.get('1')).toBe(10)
        expect(await t2.get('2')).toBe(20)
        await t2.put('1', 12)
        await t2.put('2', 18)
        await t2.commit()
        expect(await t1.get('2')).toBe(20)
        await t1.commit()
        await db.close()
      })

      it('G-single read skew with a write: r1[1] w2[1=12] w2[2=18] c2 w1[delete 2] c1 — prevented (T1 conflicts)', async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        expect(await t1.get('1')).toBe(10)
        await t2.put('1', 12)
        await t2.put('2', 18)
        await t2.commit()
        await t1.delete('2')
        await expect(t1.commit()).rejects.toBeInstanceOf(ConflictError)
        await db.close()
      })

      const skewOutcome = level === 'snapshot' ? 'allowed (both commit)' : 'prevented (T2 conflicts)'

      it(`G2-item write skew: r1[1] r1[2] r2[1] r2[2] w1[1=11] w2[2=21] c1 c2 — ${skewOutcome}`, async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        expect([await t1.get('1'), await t1.get('2')]).toEqual([10, 20])
        expect([await t2.get('1'), await t2.get('2')]).toEqual([10, 20])
        await t1.put('1', 11)
        await t2.put('2', 21)
        await t1.commit()
        if (level === 'snapshot') {
          await t2.commit()
          expect(await snapshotOf(db)).toEqual([['1', 11], ['2', 21]])
        } else {
          await expect(t2.commit()).rejects.toBeInstanceOf(ConflictError)
          expect(await snapshotOf(db)).toEqual([['1', 11], ['2', 20]])
        }
        await db.close()
      })

      it(`G2 anti-dependency cycles: r1[P] r2[P] w1[insert 3=30] w2[insert 4=42] c1 c2 — ${skewOutcome}`, async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        const t2 = db.begin()
        expect(await where(t1, (v) => v % 3 === 0)).toEqual([])
        expect(await where(t2, (v) => v % 3 === 0)).toEqual([])
        await t1.put('3', 30)
        await t2.put('4', 42)
        await t1.commit()
        if (level === 'snapshot') await t2.commit()
        else await expect(t2.commit()).rejects.toBeInstanceOf(ConflictError)
        await db.close()
      })

      const twoEdgeOutcome = level === 'snapshot' ? 'allowed (T1 commits)' : 'prevented (T1 conflicts)'

      it(`G2 two-edge, read-only anomaly: r1[1,2] w2[2=25] c2 r3[1,2] c3 w1[1=0] c1 — ${twoEdgeOutcome}`, async () => {
        const db = await setup(open, level)
        const t1 = db.begin()
        expect(await collect(t1.scan())).toEqual([['1', 10], ['2', 20]])
        const t2 = db.begin()
        await t2.put('2', 25)
        await t2.commit()
        // T3 is read-only and sees T2 but not T1: with T1 committing, T3 would have observed a
        // state no serial order produces (T1 -rw-> T2 -wr-> T3 -rw-> T1).
        const t3 = db.begin({ readOnly: true })
        expect(await collect(t3.scan())).toEqual([['1', 10], ['2', 25]])
        await t3.commit()
        await t1.put('1', 0)
        if (level === 'snapshot') {
          await t1.commit()
          expect(await snapshotOf(db)).toEqual([['1', 0], ['2', 25]])
        } else {
          await expect(t1.commit()).rejects.toBeInstanceOf(ConflictError)
          expect(await snapshotOf(db)).toEqual([['1', 10], ['2', 25]])
        }
        await db.close()
      })
    })
  }
}
