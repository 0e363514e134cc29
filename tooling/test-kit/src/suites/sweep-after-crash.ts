import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'

/** What a store tells the sweep suite: a workload that leaves temp files when cut, and its own names. */
export interface SweepAfterCrashHarness {
  /** Shown in the test names: `'SnapshotStore'`. */
  readonly name: string
  /** What the workload does, for the test name: `'saves, pruning and a delete'`. */
  readonly what: string
  /** The store's directory on the simulated disk. */
  readonly dir: string
  /** Runs a short workload that replaces files (so a cut leaves a `*.tmp` somewhere) on `fs`. */
  workload(fs: SimFileSystem): Promise<void>
  /** Opens and closes the store on a crash image (its recovery runs the sweep). */
  recover(fs: FileSystem): Promise<void>
  /** Paths relative to `dir` (directories end in `/`) the store may leave; anything else is a stranger. */
  readonly own: readonly RegExp[]
  /** Run once on a plain and once on a pessimistic disk (default: `[false]`). */
  readonly pessimistic?: readonly boolean[]
  /** Crash images per cut: `crash(seed)` of each (default: one, seeded with the cut's op count). */
  readonly seeds?: (haltAfter: number) => readonly number[]
}

/** Every path below `dir` on `fs`, relative to it, directories with a trailing `/`, depth first. */
export async function listTree(fs: FileSystem, dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of await fs.readdir(dir)) {
    const path = `${dir}/${name}`
    if ((await fs.stat(path)).isDirectory) out.push(`${name}/`, ...(await listTree(fs, path)).map((n) => `${name}/${n}`))
    else out.push(name)
  }
  return out
}

/**
 * Issue 13, fault 4, as one suite every store that replaces files runs: the power is cut after
 * every possible number of file-system operations of the store's workload, the store recovers
 * (open + close), and then its directory must hold only its own files: every temp file of an
 * interrupted replace was swept. The suite also checks that some crash point did leave a temp
 * file, so the check is not empty.
 *
 * Registers vitest tests; call it at the top level of a test file.
 */
export function sweepAfterCrashSuite(h: SweepAfterCrashHarness): void {
  describe(`${h.name}: after recovery from a crash at any point, the directory holds only the store (shared suite)`, () => {
    it.each((h.pessimistic ?? [false]).map((p) => [p]))(`every crash point of ${h.what} (pessimistic: %s)`, async (pessimistic) => {
      const dry = new SimFileSystem({ pessimistic })
      await h.workload(dry)
      const strangers: string[] = []
      let sawTemp = 0
      for (let haltAfter = 0; haltAfter <= dry.opCount; haltAfter++) {
        const sim = new SimFileSystem({ pessimistic })
        sim.haltAfter(haltAfter)
        await h.workload(sim).catch(() => undefined)
        for (const seed of h.seeds?.(haltAfter) ?? [haltAfter]) {
          const image = sim.crash(seed)
          if ((await image.exists(h.dir)) && (await listTree(image, h.dir)).some((n) => n.endsWith('.tmp'))) sawTemp++
          await h.recover(image)
          for (const n of await listTree(image, h.dir)) if (!h.own.some((re) => re.test(n))) strangers.push(`after ${haltAfter} ops, seed ${seed}: ${n}`)
        }
      }
      expect(strangers).toEqual([])
      // The workload does leave temp files at some crash points: the check above is not empty.
      expect(sawTemp).toBeGreaterThan(0)
    })
  })
}
