// Crash properties of the three commit logs on the simulated disk, below the driver: a power cut
// at a random moment of a workload of concurrent commits, then recovery. The driver-level
// properties (revisions, the id index, checkpoints) are in crash.test.ts.
import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { WriteFailedError } from '@quire/ndjson-log'
import { WalWriteError } from '@quire/wal'
import { arbSeed, checkProperty, crashDuringRecovery, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import type { CommitLog, StoredEvent } from '../src/commit-log.js'
import { closeParts, openParts, replayAll, storedEvent, type BackendName } from './parts.js'

/** A commit as generated: its streams, one event each. */
type CommitSpec = readonly string[]
const arbCommit: fc.Arbitrary<CommitSpec> = fc.array(fc.constantFrom('a', 'b', 'c', 'ünï'), { minLength: 1, maxLength: 4 })
const arbWaves = fc.array(fc.array(arbCommit, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 })

interface Issued {
  readonly events: readonly StoredEvent[]
  acked?: bigint
  error?: unknown
}

async function runWaves(log: CommitLog, waves: readonly (readonly CommitSpec[])[]): Promise<Issued[]> {
  const issued: Issued[] = []
  for (const wave of waves) {
    const ps: Promise<void>[] = []
    for (const spec of wave) {
      const r: Issued = { events: spec.map((s, i) => storedEvent(s, i, { data: { payload: 'x'.repeat(20 * i) } })) }
      issued.push(r)
      ps.push(log.append({ events: r.events }).then((res) => void (r.acked = res.firstPosition), (err: unknown) => void (r.error = err)))
    }
    await settle(ps)
  }
  return issued
}

/** Rejected because the log rolled the write back: never in the log, and its positions were given again. */
const rolledBack = (r: Issued): boolean => {
  const cause = (r.error as { cause?: unknown } | undefined)?.cause
  return cause instanceof WalWriteError || cause instanceof WriteFailedError
}

async function recoveredCommits(name: BackendName, fs: FileSystem): Promise<{ firstPosition: bigint; events: StoredEvent[] }[]> {
  const p = await openParts(name, fs)
  try {
    return await replayAll(p.log)
  } finally {
    await closeParts(p)
  }
}

const CASES: { name: BackendName; pessimistic: boolean; sync: 'always' | 'none'; runs: number }[] = [
  { name: 'wal', pessimistic: false, sync: 'always', runs: 40 },
  { name: 'wal', pessimistic: true, sync: 'always', runs: 40 },
  { name: 'wal', pessimistic: true, sync: 'none', runs: 20 },
  { name: 'ndjson', pessimistic: false, sync: 'always', runs: 40 },
  { name: 'ndjson', pessimistic: true, sync: 'always', runs: 40 },
  { name: 'ndjson', pessimistic: true, sync: 'none', runs: 20 },
  { name: 'record-keeper', pessimistic: false, sync: 'always', runs: 20 },
  { name: 'record-keeper', pessimistic: true, sync: 'always', runs: 20 },
]

describe.each(CASES)('commit log crash: $name (pessimistic: $pessimistic, sync: $sync)', ({ name, pessimistic, sync }) => {
  it('keeps every acknowledged commit, whole commits only, in call order, positions 1..n; recovery is idempotent', async () => {
    const runs = CASES.find((c) => c.name === name && c.pessimistic === pessimistic && c.sync === sync)!.runs
    await checkProperty(
      fc.asyncProperty(arbWaves, fc.nat(1_000_000), arbSeed(), fc.nat(80), arbSeed(), async (waves, haltAt, seed, recoveryHalt, recoverySeed) => {
        const opts = { sync, segmentBytes: 1024 }
        // A dry run counts the workload's operations, so the power cut lands inside it.
        const dry = new SimFileSystem({ pessimistic })
        const dryParts = await openParts(name, dry, opts)
        const before = dry.opCount
        await runWaves(dryParts.log, waves)
        const sim = new SimFileSystem({ pessimistic })
        const parts = await openParts(name, sim, opts)
        sim.haltAfter(haltAt % (dry.opCount - before + 1))
        const issued = await runWaves(parts.log, waves)
        const image = sim.crash(seed)

        const recovered = await recoveredCommits(name, image.clone())
        const candidates = issued.filter((r) => !rolledBack(r))
        // A prefix of the commits in call order, each whole and byte-equal, positions 1, 2, 3, ...
        expect(recovered.length).toBeLessThanOrEqual(candidates.length)
        let next = 1n
        recovered.forEach((c, i) => {
          expect(c.firstPosition).toBe(next)
          expect(c.events).toEqual(candidates[i]!.events)
          const acked = candidates[i]!.acked
          if (acked !== undefined) expect(acked).toBe(c.firstPosition)
          next += BigInt(c.events.length)
        })
        // Durable: every acknowledged commit survived (not promised under sync 'none').
        const lastAcked = candidates.map((r) => r.acked !== undefined).lastIndexOf(true)
        if (sync === 'always') expect(recovered.length).toBeGreaterThan(lastAcked)

        // Progress: the recovered log takes the next position.
        const p = await openParts(name, image.clone(), opts)
        expect(p.log.lastPosition).toBe(next - 1n)
        expect((await p.log.append({ events: [storedEvent('after', 0)] })).firstPosition).toBe(next)
        await closeParts(p)

        const { once, twice } = await crashDuringRecovery(image, (fs) => recoveredCommits(name, fs), { seed: recoverySeed, haltAfterOps: recoveryHalt })
        expect(twice).toEqual(once)
        expect(once).toEqual(recovered)
      }),
      { numRuns: propertyRuns(runs) },
    )
  })
})
