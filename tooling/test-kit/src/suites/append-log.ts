import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crashDuringRecovery } from '../crash.js'
import { arbSeed, checkProperty, propertyRuns } from '../runs.js'
import { settle } from '../settle.js'

/** A recovery mode, as the logs name them. */
export type SuiteRecoveryMode = 'strict' | 'point-in-time' | 'skip-corrupt'

/** One record as the suite sees it: its seq and the string value it was appended with. */
export interface SuiteRecord {
  readonly seq: number
  readonly value: string
}

/** What a log tells the append-log suite about itself. Every call works on one log location on `fs`. */
export interface AppendLogHarness<L> {
  /** Shown in the test names: `'Wal'`. */
  readonly name: string
  /** Opens (creating if needed) the log on `fs`; `recovery` defaults to `'strict'`. */
  open(fs: FileSystem, options?: { readonly recovery?: SuiteRecoveryMode; readonly sync?: 'always' | 'none' }): Promise<L>
  close(log: L): Promise<void>
  /** Appends one record holding `value` (ASCII); resolves with its seq once acknowledged. */
  append(log: L, value: string): Promise<number>
  /** Appends records atomically; resolves with their seqs. Required when `supports.batches`. */
  appendBatch?(log: L, values: readonly string[]): Promise<number[]>
  /** Every committed record, in seq order. */
  read(log: L): Promise<SuiteRecord[]>
  /** The log's data files (where appends go): faults and damage are aimed at them. */
  readonly dataFiles: RegExp
  /** Codes where a package still differs from the shared ones (default: the shared codes). */
  readonly codes?: { readonly poisoned?: string; readonly writeFailed?: string; readonly corrupt?: string }
  /** Honest differences, instead of skips. */
  readonly supports: {
    /** `appendBatch` exists: all of a batch or none of it after any crash. */
    readonly batches: boolean
    /** `sync: 'none'` exists (a crash may lose the latest appends, never a part of a batch). */
    readonly syncNone: boolean
    /**
     * `'skip-corrupt'` skips a damaged record and reads on (default true). False for a log whose
     * reader refuses the hole that leaves (the event store: its positions run with no hole, so a
     * skipped event is `CORRUPT`, never a silent gap): the damaged log must then be refused
     * with the corrupt code under `'skip-corrupt'` as under `'strict'`.
     */
    readonly skipCorrupt?: boolean
  }
}

const code = (err: unknown): unknown => (err as { code?: unknown } | undefined)?.code

/** Unique, greppable values: `v<seq-ish>-<tag>-` padded so a damaged byte can be aimed inside one. */
const valueOf = (i: number, tag = 'x'): string => `v${String(i).padStart(6, '0')}-${tag}-${'p'.repeat(24)}`

/** Every path under `dir` (recursively) whose name matches `files`. */
async function filesOf(fs: FileSystem, dir: string, files: RegExp): Promise<string[]> {
  const out: string[] = []
  for (const name of (await fs.readdir(dir)).sort()) {
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`
    if ((await fs.stat(path)).isDirectory) out.push(...(await filesOf(fs, path, files)))
    else if (files.test(path)) out.push(path)
  }
  return out
}

/** Flips a byte in the middle of `needle` where it is stored. Throws when it is not found. */
async function damage(fs: SimFileSystem, files: RegExp, needle: string): Promise<void> {
  const bytes = Buffer.from(needle)
  for (const path of await filesOf(fs, '/', files)) {
    const at = Buffer.from(await fs.readFile(path)).indexOf(bytes)
    if (at >= 0) return fs.corruptByte(path, at + 10, 0x01)
  }
  throw new Error(`${needle} is in no data file`)
}

/**
 * The guarantees every Quire log shares (the WAL, the NDJSON log, and the event store's embedded
 * backends), as one suite each runs: a failed sync poisons and a reopen builds only on what the
 * disk holds; a failed write is rolled back (`WRITE_FAILED`, nothing appended, the log goes on); a
 * failed rollback poisons; a torn tail is cut in every recovery mode; damage in the middle is
 * `CORRUPT` under `'strict'`, kept-before under `'point-in-time'`, skipped under `'skip-corrupt'`;
 * and the crash property (acknowledged records survive, batches are atomic, nothing is invented,
 * recovery is idempotent). Differences are declared in `supports`, not skipped silently.
 *
 * Registers vitest tests; call it at the top level of a test file.
 */
export function appendLogSuite<L>(h: AppendLogHarness<L>): void {
  const poisoned = h.codes?.poisoned ?? 'POISONED'
  const writeFailed = h.codes?.writeFailed ?? 'WRITE_FAILED'
  const corrupt = h.codes?.corrupt ?? 'CORRUPT'

  const readAll = async (fs: FileSystem, recovery: SuiteRecoveryMode = 'strict'): Promise<SuiteRecord[]> => {
    const log = await h.open(fs, { recovery })
    try {
      return await h.read(log)
    } finally {
      await h.close(log)
    }
  }

  describe(`${h.name}: append log (shared suite)`, () => {
    it('after a failed sync: POISONED, and a reopened log builds only on what the disk holds', async () => {
      const fs = new SimFileSystem()
      const log = await h.open(fs)
      await h.append(log, valueOf(1))
      fs.injectFault({ op: 'sync', path: h.dataFiles, error: 'EIO' })
      expect(code(await h.append(log, valueOf(2)).catch((e: unknown) => e))).toBe(poisoned)
      await h.close(log).catch(() => undefined)
      const again = await h.open(fs)
      const three = await h.append(again, valueOf(3))
      await h.close(again)
      expect(three).toBe(2)
      for (const image of [fs.crash(1), fs.crash(2, { pessimistic: true }), fs.clone()]) {
        expect(await readAll(image)).toEqual([
          { seq: 1, value: valueOf(1) },
          { seq: 2, value: valueOf(3) },
        ])
      }
    })

    it('a failed (partial) write is rolled back: WRITE_FAILED, nothing appended, the log goes on', async () => {
      const fs = new SimFileSystem()
      const log = await h.open(fs)
      await h.append(log, valueOf(1))
      fs.injectFault({ op: 'write', path: h.dataFiles, error: 'ENOSPC', partial: true })
      expect(code(await h.append(log, valueOf(2)).catch((e: unknown) => e))).toBe(writeFailed)
      expect(await h.append(log, valueOf(3))).toBe(2)
      await h.close(log)
      for (const image of [fs.crash(3, { pessimistic: true }), fs.clone()]) {
        expect(await readAll(image)).toEqual([
          { seq: 1, value: valueOf(1) },
          { seq: 2, value: valueOf(3) },
        ])
      }
    })

    it('a failed write whose rollback fails too poisons; a reopen recovers what was acknowledged', async () => {
      const fs = new SimFileSystem()
      const log = await h.open(fs)
      await h.append(log, valueOf(1))
      fs.injectFault({ op: 'write', path: h.dataFiles, error: 'EIO', partial: true })
      fs.injectFault({ op: 'truncate', path: h.dataFiles, error: 'EIO', sticky: true })
      expect(code(await h.append(log, valueOf(2)).catch((e: unknown) => e))).toBe(poisoned)
      expect(code(await h.append(log, valueOf(3)).catch((e: unknown) => e))).toBe(poisoned)
      await h.close(log).catch(() => undefined)
      const image = fs.crash(4)
      expect((await readAll(image)).slice(0, 1)).toEqual([{ seq: 1, value: valueOf(1) }])
    })

    it('a torn tail is cut in every recovery mode', async () => {
      for (const recovery of ['strict', 'point-in-time', 'skip-corrupt'] as const) {
        const fs = new SimFileSystem()
        const log = await h.open(fs)
        for (let i = 1; i <= 3; i++) await h.append(log, valueOf(i))
        await h.close(log)
        const files = await filesOf(fs, '/', h.dataFiles)
        const last = files[files.length - 1]!
        const size = (await fs.stat(last)).size
        const handle = await fs.open(last, 'r+')
        await handle.truncate(size - 5)
        await handle.sync()
        await handle.close()
        expect(await readAll(fs, recovery)).toEqual([
          { seq: 1, value: valueOf(1) },
          { seq: 2, value: valueOf(2) },
        ])
        // The cut is durable: a second open finds a clean log.
        expect(await readAll(fs.crash(1, { pessimistic: true }), recovery)).toHaveLength(2)
      }
    })

    it("damage in the middle: CORRUPT under 'strict', kept-before under 'point-in-time', skipped under 'skip-corrupt'", async () => {
      const make = async (): Promise<SimFileSystem> => {
        const fs = new SimFileSystem()
        const log = await h.open(fs)
        for (let i = 1; i <= 4; i++) await h.append(log, valueOf(i))
        await h.close(log)
        await damage(fs, h.dataFiles, valueOf(2))
        return fs
      }
      await expect(readAll(await make(), 'strict')).rejects.toMatchObject({ code: corrupt })
      expect(await readAll(await make(), 'point-in-time')).toEqual([{ seq: 1, value: valueOf(1) }])
      if (h.supports.skipCorrupt ?? true) {
        expect(await readAll(await make(), 'skip-corrupt')).toEqual([
          { seq: 1, value: valueOf(1) },
          { seq: 3, value: valueOf(3) },
          { seq: 4, value: valueOf(4) },
        ])
      } else await expect(readAll(await make(), 'skip-corrupt')).rejects.toMatchObject({ code: corrupt })
    })

    describe.each(h.supports.syncNone ? (['always', 'none'] as const) : (['always'] as const))('crash property (sync: %s)', (sync) => {
      it('a crash at any moment keeps every acknowledged record, whole batches only, nothing invented; recovery is idempotent', async () => {
        await checkProperty(
          fc.asyncProperty(
            fc.array(fc.array(fc.integer({ min: 0, max: h.supports.batches ? 4 : 1 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
            fc.nat(1_000_000),
            arbSeed(),
            fc.boolean(),
            fc.nat(40),
            arbSeed(),
            async (waves, haltAt, seed, pessimistic, recoveryHalt, recoverySeed) => {
              // A dry run counts the workload's operations, so the power cut lands inside it.
              const dry = new SimFileSystem({ pessimistic })
              await runWaves(h, await h.open(dry, { sync }), waves)
              const dryOps = dry.opCount
              const sim = new SimFileSystem({ pessimistic })
              const log = await h.open(sim, { sync })
              const opsAtOpen = sim.opCount
              sim.haltAfter(haltAt % (dryOps - opsAtOpen + 1))
              const issued = await runWaves(h, log, waves)
              const image = sim.crash(seed)
              const records = await readAll(image.clone())
              checkRecovered(records, issued, sync === 'always')
              const { once, twice } = await crashDuringRecovery(image, (fs) => readAll(fs), { seed: recoverySeed, haltAfterOps: recoveryHalt })
              expect(twice).toEqual(once)
              // A crash is never corruption: the lenient modes find exactly what strict finds.
              expect(await readAll(image.clone(), 'point-in-time')).toEqual(once)
              expect(await readAll(image.clone(), 'skip-corrupt')).toEqual(once)
              // Progress: the log takes the next seq.
              const after = await h.open(image.clone())
              expect(await h.append(after, 'after')).toBe(records.length === 0 ? 1 : records[records.length - 1]!.seq + 1)
              await h.close(after)
            },
          ),
          { numRuns: propertyRuns(40) },
        )
      })
    })
  })
}

/** One request as issued: its values (one for an append, several for a batch) and its outcome. */
interface Issued {
  readonly values: readonly string[]
  acked: boolean
  rolledBack: boolean
}

/** Each wave's requests run concurrently: 0/1 is an append, n > 1 a batch of n. */
async function runWaves<L>(h: AppendLogHarness<L>, log: L, waves: readonly (readonly number[])[]): Promise<Issued[]> {
  const issued: Issued[] = []
  let n = 0
  for (const wave of waves) {
    const ps: Promise<unknown>[] = []
    for (const size of wave) {
      const values = Array.from({ length: Math.max(1, size) }, () => valueOf(++n, 'c'))
      const r: Issued = { values, acked: false, rolledBack: false }
      issued.push(r)
      const p = values.length === 1 || h.appendBatch === undefined ? h.append(log, values[0]!) : h.appendBatch(log, values)
      ps.push(p.then(() => void (r.acked = true), (err: unknown) => void (r.rolledBack = code(err) === (h.codes?.writeFailed ?? 'WRITE_FAILED'))))
    }
    await settle(ps)
  }
  await h.close(log).catch(() => undefined)
  return issued
}

/** Recovered records: a prefix of the issued requests (rolled-back ones left out), whole, in order. */
function checkRecovered(records: readonly SuiteRecord[], issued: readonly Issued[], durable: boolean): void {
  const candidates = issued.filter((r) => !r.rolledBack)
  const flat = candidates.flatMap((r) => r.values)
  expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1))
  // Nothing invented, in issue order.
  expect(records.map((r) => r.value)).toEqual(flat.slice(0, records.length))
  // Whole requests only: the recovered count ends at a request boundary.
  const boundaries = new Set<number>([0])
  let at = 0
  for (const r of candidates) boundaries.add((at += r.values.length))
  expect(boundaries.has(records.length)).toBe(true)
  if (durable) {
    // Every acknowledged request is there.
    let end = 0
    at = 0
    for (const r of candidates) {
      at += r.values.length
      if (r.acked) end = at
    }
    expect(records.length).toBeGreaterThanOrEqual(end)
  }
}
