import { join } from 'node:path'
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { checkProperty, crashDuringRecovery, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { SnapshotStore, type Snapshot } from '../src/index.js'

const DIR = '/snaps'
const KEYS = ['a', 'b', 'c'] as const

interface SaveOp {
  readonly key: (typeof KEYS)[number]
  readonly position: number
  readonly payload: string
  /** Awaited before the next operation starts; otherwise left running concurrently. */
  readonly awaited: boolean
}

interface Issued extends SaveOp {
  readonly index: number
  acknowledged: boolean
}

const arbSave: fc.Arbitrary<SaveOp> = fc.record({
  key: fc.constantFrom(...KEYS),
  position: fc.nat({ max: 12 }),
  payload: fc.string({ maxLength: 40 }),
  awaited: fc.boolean(),
})

/** The state saved by operation `index`: unique per operation, so a loaded state names its save. */
const stateOf = (op: SaveOp, index: number) => ({ index, payload: op.payload, big: 'x'.repeat((index % 3) * 700) })

/** Newest first: higher position, then later call (sequences follow call order). */
const outranks = (a: { position: number; index: number }, b: { position: number; index: number }): boolean =>
  a.position > b.position || (a.position === b.position && a.index > b.index)

async function runWorkload(store: SnapshotStore, ops: readonly SaveOp[]): Promise<Issued[]> {
  const issued: Issued[] = []
  const running: Promise<unknown>[] = []
  for (const [index, op] of ops.entries()) {
    const record: Issued = { ...op, index, acknowledged: false }
    issued.push(record)
    const p = store.save(op.key, { position: op.position, state: stateOf(op, index) }).then(() => {
      record.acknowledged = true
    })
    running.push(p)
    if (op.awaited) await p.catch(() => undefined)
  }
  await settle(running)
  return issued
}

async function listAll(fs: SimFileSystem, dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of await fs.readdir(dir)) {
    const path = join(dir, name)
    if ((await fs.stat(path)).isDirectory) out.push(...(await listAll(fs, path)))
    else out.push(path)
  }
  return out
}

/** The crash property for one key: what `load` returned against what was issued and acknowledged. */
function checkKey(key: string, got: Snapshot | undefined, issued: readonly Issued[]): void {
  const mine = issued.filter((op) => op.key === key)
  let best: Issued | undefined
  for (const op of mine) if (op.acknowledged && (best === undefined || outranks(op, best))) best = op
  if (got === undefined) {
    expect(best, `key ${key}: nothing loaded but save #${best?.index} was acknowledged`).toBeUndefined()
    return
  }
  const state = got.state as { index: number }
  const source = mine.find((op) => op.index === state.index)
  expect(source, `key ${key}: loaded a state that was never saved`).toBeDefined()
  expect(got.state).toEqual(stateOf(source!, source!.index))
  expect(got.position).toBe(source!.position)
  expect(got.key).toBe(key)
  if (best !== undefined && best !== source) {
    expect(outranks(source!, best), `key ${key}: loaded #${source!.index}, older than acknowledged #${best.index}`).toBe(true)
  }
}

async function recoverAll(fs: FileSystem): Promise<Record<string, Snapshot | undefined>> {
  const store = await SnapshotStore.open(DIR, { fs })
  try {
    const out: Record<string, Snapshot | undefined> = {}
    for (const key of KEYS) out[key] = await store.load(key)
    return out
  } finally {
    await store.close()
  }
}

describe.each([false, true])('crash during saves (pessimistic: %s)', (pessimistic) => {
  it('load returns the newest acknowledged snapshot or a newer in-flight one, never other content', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(arbSave, { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 0, max: 3 }),
        fc.nat({ max: 220 }),
        fc.nat(),
        fc.constantFrom(1, 4096),
        async (ops, keep, haltAfterOps, seed, cachedKeys) => {
          const sim = new SimFileSystem({ pessimistic })
          // cachedKeys 1: key states are forgotten and rebuilt from disk between operations.
          const store = await SnapshotStore.open(DIR, { fs: sim, keep, cachedKeys })
          sim.haltAfter(haltAfterOps)
          const issued = await runWorkload(store, ops)
          await store.close().catch(() => undefined)
          const after = sim.crash(seed)

          const reopened = await SnapshotStore.open(DIR, { fs: after, keep })
          // No temp file survives an open.
          expect((await listAll(after, DIR)).filter((p) => p.endsWith('.tmp'))).toEqual([])
          for (const key of KEYS) checkKey(key, await reopened.load(key), issued)
          // Progress: the recovered store takes a save that outranks everything.
          await reopened.save('a', { position: 100, state: 'after' })
          expect((await reopened.load('a'))?.state).toBe('after')
          await reopened.close()
        },
      ),
      { numRuns: propertyRuns(150) },
    )
  })
})

interface MixedOp {
  readonly kind: 'save' | 'delete'
  readonly key: (typeof KEYS)[number]
  readonly position: number
  readonly awaited: boolean
}

interface IssuedMixed extends MixedOp {
  readonly index: number
  acknowledged: boolean
}

const arbMixed: fc.Arbitrary<MixedOp> = fc.record({
  kind: fc.constantFrom<'save' | 'delete'>('save', 'save', 'save', 'delete'),
  key: fc.constantFrom('a', 'b'),
  position: fc.nat({ max: 8 }),
  awaited: fc.boolean(),
})

/**
 * The crash property with deletes. Per key, the store runs operations in call order. A delete
 * is "done" when it, or any later operation of the key, was acknowledged; nothing saved before
 * a done delete may load. `best` is the top-ranked acknowledged save after the last done
 * delete: `load` must return it or something that outranks it — unless a delete issued between
 * them may have removed it (deletes remove oldest first, so what is left is the top).
 */
function checkMixed(key: string, got: Snapshot | undefined, issued: readonly IssuedMixed[]): void {
  const mine = issued.filter((op) => op.key === key)
  let lastAcked = -1
  for (const op of mine) if (op.acknowledged) lastAcked = op.index
  let done = -1
  for (const op of mine) if (op.kind === 'delete' && op.index <= lastAcked) done = op.index
  let best: IssuedMixed | undefined
  for (const op of mine) {
    if (op.kind === 'save' && op.acknowledged && op.index > done && (best === undefined || outranks(op, best))) best = op
  }
  const deleteBetween = (from: number, to: number): boolean =>
    mine.some((op) => op.kind === 'delete' && op.index > Math.min(from, to) && op.index < Math.max(from, to))
  if (got === undefined) {
    if (best !== undefined) {
      expect(mine.some((op) => op.kind === 'delete' && op.index > best.index), `key ${key}: acknowledged #${best.index} lost`).toBe(true)
    }
    return
  }
  const index = (got.state as { index: number }).index
  const source = mine.find((op) => op.index === index && op.kind === 'save')
  expect(source, `key ${key}: loaded a state that was never saved`).toBeDefined()
  expect(got.position).toBe(source!.position)
  expect(source!.index, `key ${key}: loaded #${index}, deleted by done delete #${done}`).toBeGreaterThan(done)
  if (best !== undefined && best !== source && !deleteBetween(best.index, source!.index)) {
    expect(outranks(source!, best), `key ${key}: loaded #${index}, older than acknowledged #${best.index}`).toBe(true)
  }
}

describe('crash during saves and deletes', () => {
  it('nothing deleted comes back, nothing acknowledged is lost unless a later delete was issued', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(arbMixed, { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 0, max: 2 }),
        fc.nat({ max: 200 }),
        fc.nat(),
        fc.boolean(),
        async (ops, keep, haltAfterOps, seed, pessimistic) => {
          const sim = new SimFileSystem({ pessimistic })
          const store = await SnapshotStore.open(DIR, { fs: sim, keep })
          sim.haltAfter(haltAfterOps)
          const issued: IssuedMixed[] = []
          const running: Promise<unknown>[] = []
          for (const [index, op] of ops.entries()) {
            const record: IssuedMixed = { ...op, index, acknowledged: false }
            issued.push(record)
            const p = (
              op.kind === 'save'
                ? store.save(op.key, { position: op.position, state: { index } })
                : store.delete(op.key)
            ).then(() => {
              record.acknowledged = true
            })
            running.push(p)
            if (op.awaited) await p.catch(() => undefined)
          }
          await settle(running)
          await store.close().catch(() => undefined)
          const reopened = await SnapshotStore.open(DIR, { fs: sim.crash(seed), keep })
          for (const key of ['a', 'b']) checkMixed(key, await reopened.load(key), issued)
          await reopened.close()
        },
      ),
      { numRuns: propertyRuns(100) },
    )
  })
})

describe('crash at every operation of a fixed workload (including prune and delete)', () => {
  it('holds the crash property at each halt point', async () => {
    const ops: SaveOp[] = [
      { key: 'a', position: 1, payload: 'one', awaited: true },
      { key: 'a', position: 2, payload: 'two', awaited: true },
      { key: 'b', position: 5, payload: 'b5', awaited: false },
      { key: 'a', position: 3, payload: 'three', awaited: false },
      { key: 'a', position: 1, payload: 'low', awaited: true },
      { key: 'a', position: 4, payload: 'four', awaited: true },
    ]
    // Count the operations of a full run to know every halt point.
    const probe = new SimFileSystem()
    const probeStore = await SnapshotStore.open(DIR, { fs: probe, keep: 0 })
    const start = probe.opCount
    await runWorkload(probeStore, ops)
    await probeStore.close()
    const total = probe.opCount - start
    expect(total).toBeGreaterThan(20)
    for (let halt = 0; halt <= total; halt++) {
      for (const seed of [1, 2, 3]) {
        const sim = new SimFileSystem({ pessimistic: seed === 3 })
        const store = await SnapshotStore.open(DIR, { fs: sim, keep: 0 })
        sim.haltAfter(halt)
        const issued = await runWorkload(store, ops)
        await store.close().catch(() => undefined)
        const after = sim.crash(seed * 7919 + halt)
        const reopened = await SnapshotStore.open(DIR, { fs: after })
        for (const key of KEYS) checkKey(key, await reopened.load(key), issued)
        await reopened.close()
      }
    }
  })

  it('a crash during delete leaves the newest snapshot or nothing', async () => {
    const probe = new SimFileSystem()
    const setup = async (fs: SimFileSystem) => {
      const store = await SnapshotStore.open(DIR, { fs, keep: 3 })
      for (let p = 1; p <= 4; p++) await store.save('a', { position: p, state: p })
      return store
    }
    const probeStore = await setup(probe)
    const start = probe.opCount
    await probeStore.delete('a')
    const total = probe.opCount - start
    await probeStore.close()
    for (let halt = 0; halt <= total; halt++) {
      const sim = new SimFileSystem()
      const store = await setup(sim)
      sim.haltAfter(halt)
      const deleted = await store.delete('a').then(
        () => true,
        () => false,
      )
      await store.close().catch(() => undefined)
      const after = sim.crash(halt)
      const reopened = await SnapshotStore.open(DIR, { fs: after })
      const got = await reopened.load('a')
      if (deleted) expect(got).toBeUndefined()
      else if (got !== undefined) expect(got.state).toBe(4)
      await reopened.close()
    }
  })
})

describe('every crash image of a small workload', () => {
  it('holds the crash property on each distinct image, at each halt point', async () => {
    const ops: SaveOp[] = [
      { key: 'a', position: 1, payload: 'one', awaited: true },
      { key: 'a', position: 2, payload: 'two', awaited: false },
      { key: 'b', position: 1, payload: 'b1', awaited: false },
      { key: 'a', position: 3, payload: 'three', awaited: false },
    ]
    let images = 0
    for (let halt = 0; halt <= 60; halt += 3) {
      const sim = new SimFileSystem()
      const store = await SnapshotStore.open(DIR, { fs: sim, keep: 0 })
      sim.haltAfter(halt)
      const issued = await runWorkload(store, ops)
      await store.close().catch(() => undefined)
      for (const image of sim.crashImages({ max: 300 })) {
        images++
        const reopened = await SnapshotStore.open(DIR, { fs: image })
        for (const key of KEYS) checkKey(key, await reopened.load(key), issued)
        await reopened.close()
      }
    }
    expect(images).toBeGreaterThan(40)
  })
})

describe('recovery', () => {
  it('is idempotent: crashing during recovery and recovering again gives the same loads', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(arbSave, { minLength: 1, maxLength: 10 }),
        fc.nat({ max: 150 }),
        fc.nat({ max: 40 }),
        fc.nat(),
        async (ops, haltAfterOps, recoveryHalt, seed) => {
          const sim = new SimFileSystem({ pessimistic: true })
          const store = await SnapshotStore.open(DIR, { fs: sim })
          sim.haltAfter(haltAfterOps)
          await runWorkload(store, ops)
          await store.close().catch(() => undefined)
          const image = sim.crash(seed)
          const { once, twice } = await crashDuringRecovery(image, recoverAll, { seed, haltAfterOps: recoveryHalt })
          expect(twice).toEqual(once)
        },
      ),
      { numRuns: propertyRuns(80) },
    )
  })
})
