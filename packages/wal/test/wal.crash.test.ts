import { SimFileSystem } from '@quire/vfs/sim'
import type { FileSystem } from '@quire/vfs'
import { arbSeed, checkProperty, crashDuringRecovery, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { Wal, WalWriteError, type WalEntry, type WalOp, type WalRecoveryMode } from '../src/index.js'
import { DIR, collect, enc } from './helpers.js'
import { arbWorkload, type Step } from './workload.js'

const workload = arbWorkload({ keyBytes: 12, valueBytes: 200, weights: { append: 6, batch: 3, truncate: 2 }, truncateAtEnd: true, maxWaveSteps: 12 })

/** A request as issued, in call order (which is seq order). */
interface Issued {
  readonly ops: readonly WalOp[]
  acked: WalEntry[] | undefined
  /** Why it was rejected, if it was. */
  error?: unknown
}

interface Outcome {
  readonly issued: Issued[]
  readonly truncations: { seq: number; acked: boolean }[]
}

async function runWorkload(wal: Wal, waves: Step[][]): Promise<Outcome> {
  const issued: Issued[] = []
  const truncations: { seq: number; acked: boolean }[] = []
  for (const wave of waves) {
    const ps: Promise<unknown>[] = []
    for (const step of wave) {
      if (step.kind === 'truncate') {
        const t = { seq: Math.floor(wal.lastSeq * step.fraction), acked: false }
        truncations.push(t)
        ps.push(wal.truncateBefore(t.seq).then(() => void (t.acked = true)))
      } else if (step.kind === 'append') {
        const r: Issued = { ops: [step.op], acked: undefined }
        issued.push(r)
        ps.push(wal.append(step.op).then((e) => void (r.acked = [e]), (err: unknown) => void (r.error = err)))
      } else {
        const r: Issued = { ops: step.ops, acked: undefined }
        issued.push(r)
        ps.push(wal.appendBatch(step.ops).then((es) => void (r.acked = es), (err: unknown) => void (r.error = err)))
      }
    }
    await settle(ps)
  }
  return { issued, truncations }
}

const same = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean =>
  (a ?? null) === null ? (b ?? null) === null : b != null && Buffer.compare(Buffer.from(a!), Buffer.from(b)) === 0

/** Checks a recovered log against what the workload issued and what was acknowledged. */
async function checkRecovered(image: FileSystem, outcome: Outcome, durable: boolean): Promise<void> {
  const wal = await Wal.open(DIR, { fs: image, now: () => 7 })
  const entries = await collect(wal)
  const lastSeq = wal.lastSeq
  const floor = wal.floorSeq
  // A request rejected with WRITE_FAILED was rolled back: it holds no seq, and is never in the log.
  const issued = outcome.issued.filter((r) => !(r.error instanceof WalWriteError))
  const flat = issued.flatMap((r) => r.ops)
  // Request boundaries: a recovered log always ends at one (batches are whole).
  const boundaries = new Set<number>([0])
  let n = 0
  for (const r of issued) boundaries.add((n += r.ops.length))

  // Seqs: contiguous up to lastSeq, from just above the last request boundary at or below the
  // floor: a batch truncateBefore cut through is replayed whole, never in part (issue 13).
  const start = Math.max(...[...boundaries].filter((b) => b <= floor)) + 1
  expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: Math.max(0, lastSeq - start + 1) }, (_, i) => start + i))
  expect(lastSeq).toBeLessThanOrEqual(flat.length)
  expect(boundaries.has(lastSeq)).toBe(true)
  // Nothing that was never written: entry seq s is the s-th operation issued, byte for byte.
  for (const e of entries) {
    const op = flat[e.seq - 1]!
    expect(e.op).toBe(op.op)
    expect(same(e.key, op.key)).toBe(true)
    expect(same(e.value, op.op === 'put' ? op.value : null)).toBe(true)
    expect(e.timestampMs).toBe(1)
  }
  // Acknowledged results carried the seqs of their place in the issue order.
  let maxAcked = 0
  for (const r of issued) {
    if (r.acked === undefined) continue
    r.acked.forEach((e, i) => {
      expect(same(e.key, r.ops[i]!.key)).toBe(true)
      expect(flat[e.seq - 1]).toBe(r.ops[i])
      maxAcked = Math.max(maxAcked, e.seq)
    })
  }
  // Truncation: the floor is one that was asked for, at least every acknowledged one.
  const ackedFloor = Math.max(0, ...outcome.truncations.filter((t) => t.acked).map((t) => t.seq))
  if (durable) {
    expect(lastSeq).toBeGreaterThanOrEqual(maxAcked)
    expect(floor).toBeGreaterThanOrEqual(ackedFloor)
  }
  expect([0, ...outcome.truncations.map((t) => t.seq)]).toContain(floor)
  // Progress: the sequence continues after recovery.
  const next = await wal.append({ op: 'put', key: enc('after'), value: enc('crash') })
  expect(next.seq).toBe(lastSeq + 1)
  const tail = await collect(wal, lastSeq + 1)
  expect(tail.map((e) => e.seq)).toEqual([lastSeq + 1])
  await wal.close()
  // ...and what it appended after recovery is there, in a log that opens cleanly.
  const reopened = await Wal.open(DIR, { fs: image })
  expect(reopened.lastSeq).toBe(lastSeq + 1)
  expect(reopened.recoveryReport.actions).toEqual([])
  expect((await collect(reopened)).length).toBe(entries.length + 1)
  await reopened.close()
}

async function recoveredState(fs: FileSystem, recovery: WalRecoveryMode = 'strict'): Promise<unknown> {
  const wal = await Wal.open(DIR, { fs, recovery })
  try {
    const entries = (await collect(wal)).map((e) => [e.seq, e.op, Buffer.from(e.key).toString('hex'), e.value && Buffer.from(e.value).toString('hex')])
    return { entries, lastSeq: wal.lastSeq, floor: wal.floorSeq }
  } finally {
    await wal.close()
  }
}

describe.each([
  { pessimistic: false, sync: 'always' as const },
  { pessimistic: true, sync: 'always' as const },
  { pessimistic: true, sync: 'none' as const },
])('crash properties (pessimistic: $pessimistic, sync: $sync)', ({ pessimistic, sync }) => {
  it('a crash at any moment keeps every acknowledged entry, whole batches only, nothing invented; recovery is idempotent', async () => {
    await checkProperty(
      fc.asyncProperty(
        workload,
        fc.nat(1_000_000),
        arbSeed(),
        fc.constantFrom(1024, 4096),
        fc.nat(60),
        arbSeed(),
        async (waves, haltAt, seed, segmentBytes, recoveryHalt, recoverySeed) => {
          // A dry run counts the workload's file-system operations, so the power cut lands inside it.
          const dry = new SimFileSystem({ pessimistic })
          const dryWal = await Wal.open(DIR, { fs: dry, segmentBytes, sync, now: () => 1 })
          const opsBefore = dry.opCount
          await runWorkload(dryWal, waves)
          const haltAfterOps = haltAt % (dry.opCount - opsBefore + 1)
          const sim = new SimFileSystem({ pessimistic })
          const wal = await Wal.open(DIR, { fs: sim, segmentBytes, sync, now: () => 1 })
          sim.haltAfter(haltAfterOps)
          const outcome = await runWorkload(wal, waves)
          const image = sim.crash(seed)
          await checkRecovered(image.clone(), outcome, sync === 'always')
          const { once, twice } = await crashDuringRecovery(image, recoveredState, { seed: recoverySeed, haltAfterOps: recoveryHalt })
          expect(twice).toEqual(once)
          // A crash is never corruption: the lenient modes find exactly what strict finds.
          expect(await recoveredState(image.clone(), 'point-in-time')).toEqual(once)
          expect(await recoveredState(image.clone(), 'skip-corrupt')).toEqual(once)
        },
      ),
      { numRuns: propertyRuns(100) },
    )
  })
})

describe('every crash image of a small in-flight workload', () => {
  it.each([false, true])('recovers to whole requests, in order, with the acknowledged ones (pessimistic: %s)', async (pessimistic) => {
    for (const haltAfterOps of [1, 2, 3, 4, 5]) {
      const sim = new SimFileSystem({ pessimistic })
      const wal = await Wal.open(DIR, { fs: sim, segmentBytes: 1024, now: () => 1 })
      await wal.append({ op: 'put', key: enc('before'), value: new Uint8Array(300).fill(1) })
      sim.haltAfter(haltAfterOps)
      const outcome = await runWorkload(wal, [
        [
          { kind: 'append', op: { op: 'put', key: enc('a'), value: new Uint8Array(700).fill(2) } },
          { kind: 'batch', ops: [{ op: 'put', key: enc('b1'), value: new Uint8Array(400).fill(3) }, { op: 'delete', key: enc('b2') }] },
          { kind: 'append', op: { op: 'delete', key: enc('c') } },
        ],
        [{ kind: 'batch', ops: [{ op: 'put', key: enc('d1'), value: new Uint8Array(900).fill(4) }, { op: 'put', key: enc('d2'), value: enc('x') }] }],
      ])
      outcome.issued.unshift({ ops: [{ op: 'put', key: enc('before'), value: new Uint8Array(300).fill(1) }], acked: undefined })
      const images = sim.crashImages({ max: 300 })
      expect(images.length).toBeGreaterThan(0)
      for (const image of images) await checkRecovered(image, outcome, true)
    }
  })
})

describe('faults and then a crash', () => {
  const arbFault = fc.record({
    op: fc.constantFrom('write' as const, 'sync' as const, 'truncate' as const, 'open' as const, 'rename' as const, 'syncDir' as const, 'unlink' as const),
    nth: fc.integer({ min: 1, max: 12 }),
    error: fc.constantFrom('EIO' as const, 'ENOSPC' as const),
    partial: fc.boolean(),
  })
  it.each([false, true])(
    'an injected EIO/ENOSPC anywhere never costs an acknowledged entry nor leaves a log that will not open (pessimistic: %s)',
    async (pessimistic) => {
      await checkProperty(
        fc.asyncProperty(workload, fc.array(arbFault, { minLength: 1, maxLength: 3 }), arbSeed(), async (waves, faults, seed) => {
          const sim = new SimFileSystem({ pessimistic, seed })
          const wal = await Wal.open(DIR, { fs: sim, segmentBytes: 1024, now: () => 1 })
          for (const fault of faults) sim.injectFault(fault)
          const outcome = await runWorkload(wal, waves)
          await wal.close()
          // Every rejection is one of the typed errors.
          for (const r of outcome.issued) {
            if (r.error !== undefined) expect(['WRITE_FAILED', 'POISONED']).toContain((r.error as { code?: string }).code)
          }
          await checkRecovered(sim.crash(seed), outcome, true)
        }),
        { numRuns: propertyRuns(60) },
      )
    },
  )
})
