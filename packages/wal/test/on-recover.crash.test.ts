import { SimFileSystem } from '@quire/vfs/sim'
import { arbSeed, checkProperty, fc, propertyRuns, settle } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { Wal, type WalEntry, type WalRecoveryMode } from '../src/index.js'
import { DIR, plain } from './helpers.js'
import { arbWorkload, type Step } from './workload.js'

// `onRecover` hands out, during open, exactly what `replayChunks()` right after open yields: on
// crash images (torn tails, batches without their COMMIT, torn segment creations) with bytes
// damaged at rest on top, in every recovery mode, read-only too, and when minLastSeq moves the floor.

const workload = arbWorkload({ keyBytes: 8, valueBytes: 120, weights: { append: 5, batch: 4, truncate: 1 }, truncateAtEnd: false, maxWaveSteps: 10 })
/** Bytes damaged at rest: which segment (modulo their count), where (modulo its size), how. */
const arbDamage = fc.array(fc.record({ file: fc.nat(), offset: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), { maxLength: 2 })

async function run(wal: Wal, waves: Step[][]): Promise<void> {
  for (const wave of waves) {
    const ps: Promise<unknown>[] = []
    for (const step of wave) {
      if (step.kind === 'truncate') ps.push(wal.truncateBefore(Math.floor(wal.lastSeq * step.fraction)))
      else if (step.kind === 'append') ps.push(wal.append(step.op))
      else ps.push(wal.appendBatch(step.ops))
    }
    await settle(ps)
  }
}

type Opened = { error: string } | { delivered: ReturnType<typeof plain>[]; replayed: ReturnType<typeof plain>[]; calls: number }

/** Opens `image` with onRecover, then replays: what each gave (or the open's error code). */
async function openBoth(image: SimFileSystem, recovery: WalRecoveryMode, readOnly: boolean, minLastSeq: number): Promise<Opened> {
  const delivered: WalEntry[] = []
  let calls = 0
  let wal: Wal
  try {
    wal = await Wal.open(DIR, {
      fs: image,
      recovery,
      readOnly,
      ...(readOnly ? {} : { minLastSeq }),
      onRecover: (entries) => {
        calls++
        // Never empty.
        expect(entries.length).toBeGreaterThan(0)
        delivered.push(...entries)
      },
    })
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) }
  }
  try {
    const replayed: WalEntry[] = []
    for await (const chunk of wal.replayChunks()) replayed.push(...chunk)
    return { delivered: delivered.map(plain), replayed: replayed.map(plain), calls }
  } finally {
    await wal.close()
  }
}

describe('onRecover', () => {
  it.each([false, true])('delivers exactly what replayChunks() after open yields, on damaged crash images (pessimistic: %s)', async (pessimistic) => {
    await checkProperty(
      fc.asyncProperty(
        workload,
        fc.nat(1_000_000),
        arbSeed(),
        arbDamage,
        fc.constantFrom('strict' as const, 'point-in-time' as const, 'skip-corrupt' as const),
        fc.nat(8),
        async (waves, haltAt, seed, damage, recovery, minAbove) => {
          const dry = new SimFileSystem({ pessimistic })
          const dryWal = await Wal.open(DIR, { fs: dry, segmentBytes: 1024, now: () => 1 })
          const before = dry.opCount
          await run(dryWal, waves)
          const sim = new SimFileSystem({ pessimistic })
          const wal = await Wal.open(DIR, { fs: sim, segmentBytes: 1024, now: () => 1 })
          sim.haltAfter(haltAt % (dry.opCount - before + 1))
          await run(wal, waves)
          const image = sim.crash(seed)
          const segments = (await image.readdir(DIR)).filter((n) => n.endsWith('.wal')).sort()
          for (const d of damage) {
            if (segments.length === 0) break
            const path = `${DIR}/${segments[d.file % segments.length]!}`
            const size = (await image.stat(path)).size
            if (size > 0) image.corruptByte(path, d.offset % size, d.mask)
          }
          // minLastSeq around the log's end: at or below it delivery is during the scan, above
          // the floor on disk it waits for recovery, above the log's end the floor moves.
          const probe = await openBoth(image.clone(), recovery, true, 0)
          const last = 'error' in probe ? 0 : (probe.replayed.at(-1)?.seq ?? 0)
          const minLastSeq = minAbove === 0 ? 0 : Math.max(0, last + minAbove - 4)
          for (const readOnly of [true, false]) {
            const opened = await openBoth(image.clone(), recovery, readOnly, minLastSeq)
            if ('error' in opened) {
              expect(['CORRUPT', 'UNSUPPORTED_VERSION']).toContain(opened.error)
              continue
            }
            expect(opened.delivered).toEqual(opened.replayed)
          }
        },
      ),
      { numRuns: propertyRuns(80) },
    )
  })
})
