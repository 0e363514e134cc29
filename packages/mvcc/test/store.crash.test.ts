// Crash properties on the simulated disk: concurrent transactions (and checkpoints) run while
// the power goes out after a random number of operations; after recovery the state must be
// exactly the effect of a prefix, in commit order, of the transactions that reached the WAL,
// containing every acknowledged one. Recovery must be idempotent and the store usable after.
import { describe, expect, it } from 'vitest'
import { arbSeed, checkProperty, crashDuringRecovery, fc, propertyRuns, settle } from '@quire/test-kit'
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { ConflictError, MvccStore } from '../src/index.js'
import { collect } from './helpers.js'

const KEYS = ['a', 'b', 'c', 'd', 'é', '😀']

interface Attempt {
  readonly id: number
  readonly writes: Map<string, number | undefined>
  outcome: 'acked' | 'conflict' | 'unknown'
}

const arbTx = fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.boolean()), { minLength: 1, maxLength: 3 })
const arbRound = fc.record({ txs: fc.array(arbTx, { minLength: 1, maxLength: 8 }), checkpoint: fc.boolean() })
const arbWorkload = fc.array(arbRound, { minLength: 1, maxLength: 6 })

type Workload = typeof arbWorkload extends fc.Arbitrary<infer T> ? T : never

/** Runs the rounds; each round's transactions read then write, and commit in call order. */
async function runWorkload(db: MvccStore, rounds: Workload, attempts: Attempt[]): Promise<void> {
  let nextId = 1
  for (const round of rounds) {
    const txs = round.txs.map((ops) => {
      const tx = db.begin()
      const attempt: Attempt = { id: nextId++, writes: new Map(), outcome: 'unknown' }
      for (const [key, del] of ops) attempt.writes.set(key, del ? undefined : attempt.id)
      return { tx, attempt }
    })
    const work: Promise<unknown>[] = []
    // Reads and writes first, then every commit() in one synchronous sweep: validation is
    // synchronous in commit(), so this order is the commit order of those that pass.
    for (const { tx, attempt } of txs) {
      for (const key of attempt.writes.keys()) await tx.get(key)
      for (const [key, value] of attempt.writes) await (value === undefined ? tx.delete(key) : tx.put(key, value))
    }
    for (const { tx, attempt } of txs) {
      attempts.push(attempt)
      work.push(
        tx.commit().then(
          () => void (attempt.outcome = 'acked'),
          (error: unknown) => void (attempt.outcome = error instanceof ConflictError ? 'conflict' : 'unknown'),
        ),
      )
      if (round.checkpoint && attempt === txs[Math.floor(txs.length / 2)]!.attempt) work.push(db.checkpoint())
    }
    await settle(work)
  }
}

async function readAll(fs: FileSystem): Promise<[string, unknown][]> {
  const db = await MvccStore.open('/db', { fs })
  try {
    return await db.transaction((tx) => collect(tx.scan()), { readOnly: true })
  } finally {
    await db.close()
  }
}

/** The prefix lengths of the candidate commits whose effect equals `state`. */
function matchingPrefixes(candidates: readonly Attempt[], state: [string, unknown][]): number[] {
  const found: number[] = []
  const model = new Map<string, number>()
  const same = (): boolean =>
    model.size === state.length && state.every(([k, v]) => model.get(k) === v)
  if (same()) found.push(0)
  candidates.forEach((attempt, i) => {
    for (const [k, v] of attempt.writes) {
      if (v === undefined) model.delete(k)
      else model.set(k, v)
    }
    if (same()) found.push(i + 1)
  })
  return found
}

describe('crash properties', () => {
  for (const sync of ['always', 'none'] as const) {
    it(`sync '${sync}': after a crash the state is a prefix of the commits${sync === 'always' ? ' holding every acknowledged one' : ''}`, async () => {
      await checkProperty(
        fc.asyncProperty(arbWorkload, fc.nat({ max: 600 }), arbSeed(), fc.boolean(), async (rounds, haltAfter, seed, pessimistic) => {
          const sim = new SimFileSystem({ pessimistic })
          const db = await MvccStore.open('/db', { fs: sim, sync })
          const attempts: Attempt[] = []
          sim.haltAfter(haltAfter)
          await runWorkload(db, rounds, attempts).catch(() => undefined)
          await db.close().catch(() => undefined)
          const image = sim.crash(seed)
          const state = await readAll(image)
          const candidates = attempts.filter((a) => a.outcome !== 'conflict')
          const prefixes = matchingPrefixes(candidates, state)
          expect(prefixes.length, `state ${JSON.stringify(state)} is no prefix of the commits`).toBeGreaterThan(0)
          if (sync === 'always') {
            const lastAcked = candidates.map((a) => a.outcome).lastIndexOf('acked')
            expect(Math.max(...prefixes)).toBeGreaterThanOrEqual(lastAcked + 1)
          }
          // Progress: the recovered store takes new commits.
          const again = await MvccStore.open('/db', { fs: image })
          await again.transaction((tx) => tx.put('after', 1))
          await again.close()
        }),
        { numRuns: propertyRuns(60) },
      )
    })
  }

  it('recovery is idempotent: a crash during recovery changes nothing', async () => {
    await checkProperty(
      fc.asyncProperty(arbWorkload, fc.nat({ max: 600 }), arbSeed(), fc.nat({ max: 80 }), async (rounds, haltAfter, seed, recoveryHalt) => {
        const sim = new SimFileSystem()
        const db = await MvccStore.open('/db', { fs: sim })
        sim.haltAfter(haltAfter)
        await runWorkload(db, rounds, []).catch(() => undefined)
        await db.close().catch(() => undefined)
        const image = sim.crash(seed)
        const { once, twice } = await crashDuringRecovery(image, readAll, { seed: seed + 1, haltAfterOps: recoveryHalt })
        expect(twice).toEqual(once)
      }),
      { numRuns: propertyRuns(40) },
    )
  })

  it('a crash at any point of a checkpoint loses nothing', async () => {
    await checkProperty(
      fc.asyncProperty(fc.nat({ max: 120 }), arbSeed(), fc.boolean(), async (haltAfter, seed, pessimistic) => {
        const sim = new SimFileSystem({ pessimistic })
        const db = await MvccStore.open('/db', { fs: sim, segmentBytes: 1024 })
        for (let i = 0; i < 40; i++) {
          await db.transaction(async (tx) => {
            await tx.put(`k${i % 7}`, i)
            if (i % 5 === 0) await tx.delete(`k${(i + 3) % 7}`)
          })
        }
        await db.checkpoint()
        for (let i = 40; i < 60; i++) await db.transaction((tx) => tx.put(`k${i % 7}`, i))
        const expected = await db.transaction((tx) => collect(tx.scan()))
        sim.haltAfter(haltAfter)
        await db.checkpoint().catch(() => undefined)
        await db.close().catch(() => undefined)
        expect(await readAll(sim.crash(seed))).toEqual(expected)
      }),
      { numRuns: propertyRuns(80) },
    )
  })

  it("sync 'none': commits made after recovering from a crash during a checkpoint are kept", async () => {
    await checkProperty(
      // Most halts that matter fall in the first few operations of the checkpoint.
      fc.asyncProperty(fc.nat({ max: 16 }), arbSeed(), async (haltAfter, seed) => {
        const sim = new SimFileSystem()
        const db = await MvccStore.open('/db', { fs: sim, sync: 'none', segmentBytes: 1024 })
        for (let i = 0; i < 30; i++) await db.transaction((tx) => tx.put(`k${i % 5}`, i))
        sim.haltAfter(haltAfter)
        await db.checkpoint().catch(() => undefined)
        await db.close().catch(() => undefined)
        const image = sim.crash(seed)
        // The log may have lost entries the checkpoint holds; it then reuses their seqs.
        const second = await MvccStore.open('/db', { fs: image, sync: 'none', segmentBytes: 1024 })
        const recovered = await second.transaction((tx) => collect(tx.scan()))
        for (let i = 0; i < 10; i++) await second.transaction((tx) => tx.put(`new${i}`, i))
        await second.close() // close makes everything durable
        const third = await MvccStore.open('/db', { fs: image })
        const expected = [...recovered, ...Array.from({ length: 10 }, (_, i): [string, unknown] => [`new${i}`, i])]
        expect(await third.transaction((tx) => collect(tx.scan()))).toEqual(
          expected.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
        )
        await third.close()
      }),
      { numRuns: propertyRuns(60) },
    )
  })
})
