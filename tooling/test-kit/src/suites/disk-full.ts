import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mountSmallDisk, refusedSmallDisk, type SmallDisk } from '../small-disk.js'

const MiB = 1024 * 1024

/** What a store tells the disk-full suite about itself. */
export interface DiskFullHarness<S, K> {
  /** Shown in the test names: `'Wal'`. */
  readonly name: string
  /** What a write is, for the test name: `'append'`, `'commit'`. */
  readonly what: string
  /** Where the store lives on the small disk (default `join(diskDir, 'store')`). */
  location?(diskDir: string): string
  /** Opens (creating if needed) the store at `path`. */
  open(path: string): Promise<S>
  /** Closes it. */
  close(store: S): Promise<void>
  /** Concurrent writers (default 8), so that groups, not single writes, meet the full disk. */
  readonly writers?: number
  /**
   * Write number `i` (by writer `w`), sized so that the disk fills in a few hundred writes;
   * resolves once acknowledged, to the key it is checked under (`acked.set(key, i)`).
   */
  write(store: S, i: number, w: number): Promise<K>
  /** The codes a write that met the full disk may be refused with (`['WRITE_FAILED']`). */
  readonly failureCodes: readonly string[]
  /**
   * `'every'`: every refused write's message names `ENOSPC` (a store that rolls back and goes on);
   * `'some'`: the first one does, later ones may meet the poison it left.
   */
  readonly enospc: 'every' | 'some'
  /** Before close, after the failures: what else must hold (a store that goes on refuses a big write again). */
  afterFailures?(store: S): Promise<void>
  /** After the space is freed, on the reopened store: every acknowledged write is there (`acked`: key → `i`). */
  check(store: S, acked: ReadonlyMap<K, number>): Promise<void>
  /** On the reopened store: a new write works. */
  writeAfter(store: S): Promise<void>
  /** After the reopened store is closed (a verify). */
  afterReopen?(path: string): Promise<void>
  /** Honest differences, instead of skips. */
  readonly supports?: {
    /** The poisoned store's `close()` may reject (it reports its last failed sync); default false. */
    readonly closeMayFailWhenPoisoned?: boolean
  }
}

/**
 * A real disk that fills up, as one suite every store runs: an 8 MiB tmpfs (or a loop device;
 * `mountSmallDisk`) with 1 MiB taken, `writers` writers write until each is refused; every
 * refusal is a typed error of `failureCodes` naming `ENOSPC` (every one, or the first); once space
 * is freed the store reopens, holds every acknowledged write and takes a new one. Each test has
 * a disk of its own. Skipped, saying why, where no small disk can be mounted (no root, no tmpfs).
 *
 * Registers vitest tests; call it at the top level of a test file.
 */
export function diskFullSuite<S, K>(h: DiskFullHarness<S, K>): void {
  describe(`${h.name}: a real disk that fills up (an 8 MiB tmpfs; shared suite)`, () => {
    let disk: SmallDisk | undefined
    let refused = ''
    beforeEach(() => {
      const mounted = mountSmallDisk(8 * MiB)
      if ('refused' in mounted) refused = mounted.refused
      else disk = mounted
    })
    afterEach(() => {
      disk?.unmount()
      disk = undefined
    })

    it(`every acknowledged ${h.what} survives, the failing ones get a typed error naming ENOSPC, and the store reopens and works once space is freed`, async (ctx) => {
      if (disk === undefined) return ctx.skip(refusedSmallDisk(refused))
      const path = h.location?.(disk.dir) ?? join(disk.dir, 'store')
      await disk.fill(1 * MiB)
      const store = await h.open(path)
      const acked = new Map<K, number>()
      const failures: unknown[] = []
      const writers = h.writers ?? 8
      let next = 0
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (;;) {
            const i = next++
            try {
              acked.set(await h.write(store, i, w), i)
            } catch (err) {
              failures.push(err)
              return
            }
          }
        }),
      )
      expect(acked.size).toBeGreaterThan(0)
      expect(failures.length).toBe(writers)
      for (const err of failures) expect(h.failureCodes).toContain((err as { code?: unknown }).code)
      const namesEnospc = (err: unknown): boolean => err instanceof Error && err.message.includes('ENOSPC')
      if (h.enospc === 'every') expect(failures.filter((err) => !namesEnospc(err))).toEqual([])
      else expect(failures.some(namesEnospc)).toBe(true)
      await h.afterFailures?.(store)
      if (h.supports?.closeMayFailWhenPoisoned ?? false) await h.close(store).catch(() => undefined)
      else await h.close(store)

      await disk.release()
      const again = await h.open(path)
      await h.check(again, acked)
      await h.writeAfter(again)
      await h.close(again)
      await h.afterReopen?.(path)
    }, 120_000)
  })
}
