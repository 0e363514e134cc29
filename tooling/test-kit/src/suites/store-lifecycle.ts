import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { diskState } from '../hostile.js'

/**
 * What a store tells the lifecycle suite about itself. Every call works on the same store
 * location on `fs` (the harness picks the path).
 */
export interface StoreLifecycleHarness<S> {
  /** Shown in the test names: `'Wal'`. */
  readonly name: string
  /** Opens (creating if needed) the store at its location on `fs`. */
  open(fs: FileSystem): Promise<S>
  /** Closes it (`store.close()`). */
  close(store: S): Promise<void>
  /** Its `[Symbol.asyncDispose]()`. */
  dispose(store: S): Promise<void>
  /** One small valid write, resolved once acknowledged (durable). `i` makes it unique. */
  write(store: S, i: number): Promise<unknown>
  /** A write with bad input: must reject with `INVALID_ARGUMENT` and change nothing on disk. */
  writeInvalid(store: S): Promise<unknown>
  /** What the store holds, as a comparable value (through a read of the open store). */
  read(store: S): Promise<unknown>
  /** The directory the store lives in (for the disk-state comparison). */
  readonly root: string
  /** Files whose failing `fdatasync` the store must notice (`/\.wal$/`). */
  readonly dataFiles: RegExp
  /** Codes where a package still differs from the shared ones (default: the shared codes). */
  readonly codes?: {
    readonly poisoned?: string
    readonly closed?: string
    readonly invalid?: string
    /**
     * The code of the write that meets the failed sync, where it differs from `poisoned` (the
     * event store's `APPEND_FAILED`: that write's outcome is unknown to the caller; the writes
     * after it are `POISONED`). Its `cause` must still be the `cause` of every later refusal.
     */
    readonly failedSync?: string
  }
  /** Honest differences, instead of skips. */
  readonly supports?: {
    /**
     * The store syncs on every acknowledged write, so a failed sync is seen by the write that
     * needed it (default true). False for a store whose writes are not synced one by one.
     */
    readonly poisonOnFailedSync?: boolean
    /**
     * A second open of the same store is refused with `LOCKED` while the first is open (default
     * true). False for a store many processes open at once (the event store on PostgreSQL): the
     * second open must then work and see what the first acknowledged.
     */
    readonly exclusiveOpen?: boolean
  }
}

/**
 * The lifecycle every Quire store promises (DESIGN.md, "Conventions"), as one suite every store
 * runs, in the way `abstract-level` ships one test suite for every implementation:
 * a second open is `LOCKED`; after `close()` writes are `CLOSED`; `close()` is idempotent;
 * `Symbol.asyncDispose` closes; a failed sync poisons (`POISONED`, every later write too, and a
 * reopen recovers what was acknowledged); bad input (`INVALID_ARGUMENT`) writes nothing.
 *
 * Registers vitest tests; call it at the top level of a test file.
 */
export function storeLifecycleSuite<S>(h: StoreLifecycleHarness<S>): void {
  const poisoned = h.codes?.poisoned ?? 'POISONED'
  const closed = h.codes?.closed ?? 'CLOSED'
  const invalid = h.codes?.invalid ?? 'INVALID_ARGUMENT'
  const code = (err: unknown): unknown => (err as { code?: unknown } | undefined)?.code

  describe(`${h.name}: store lifecycle (shared suite)`, () => {
    it('a second open of the same store is LOCKED while the first is open, and works after close', async () => {
      const fs = new SimFileSystem()
      const first = await h.open(fs)
      if (h.supports?.exclusiveOpen ?? true) await expect(h.open(fs)).rejects.toMatchObject({ code: 'LOCKED' })
      else {
        await h.write(first, 0)
        const shared = await h.open(fs)
        expect(await h.read(shared)).toEqual(await h.read(first))
        await h.close(shared)
      }
      await h.write(first, 1)
      await h.close(first)
      const second = await h.open(fs)
      await h.close(second)
    })

    it('after close every write rejects with CLOSED', async () => {
      const fs = new SimFileSystem()
      const store = await h.open(fs)
      await h.close(store)
      expect(code(await h.write(store, 1).catch((e: unknown) => e))).toBe(closed)
    })

    it('close is idempotent: concurrent and repeated calls resolve, and the store closes once', async () => {
      const fs = new SimFileSystem()
      const store = await h.open(fs)
      await h.write(store, 1)
      await Promise.all([h.close(store), h.close(store)])
      await h.close(store)
      const again = await h.open(fs)
      const content = await h.read(again)
      await h.close(again)
      const reference = new SimFileSystem()
      const ref = await h.open(reference)
      await h.write(ref, 1)
      expect(content).toEqual(await h.read(ref))
      await h.close(ref)
    })

    it('Symbol.asyncDispose closes the store (and releases its lock)', async () => {
      const fs = new SimFileSystem()
      const store = await h.open(fs)
      await h.dispose(store)
      expect(code(await h.write(store, 1).catch((e: unknown) => e))).toBe(closed)
      const again = await h.open(fs)
      await h.dispose(again)
    })

    it('bad input rejects with INVALID_ARGUMENT and writes nothing', async () => {
      const fs = new SimFileSystem()
      const store = await h.open(fs)
      await h.write(store, 1)
      const before = await diskState(fs, h.root)
      const contentBefore = await h.read(store)
      fs.resetStats()
      expect(code(await h.writeInvalid(store).catch((e: unknown) => e))).toBe(invalid)
      expect({ writes: fs.stats.writes, syncs: fs.stats.syncs, truncates: fs.stats.truncates }).toEqual({ writes: 0, syncs: 0, truncates: 0 })
      expect(await diskState(fs, h.root)).toEqual(before)
      expect(await h.read(store)).toEqual(contentBefore)
      // ...and the store goes on.
      await h.write(store, 2)
      await h.close(store)
    })

    it.runIf(h.supports?.poisonOnFailedSync ?? true)('a failed sync poisons: that write and every later one reject with POISONED; a reopen recovers', async () => {
      const fs = new SimFileSystem()
      const store = await h.open(fs)
      await h.write(store, 1)
      const acknowledged = await h.read(store)
      const fault = fs.injectFault({ op: 'sync', path: h.dataFiles, error: 'EIO' })
      const first = await h.write(store, 2).catch((e: unknown) => e)
      expect(code(first)).toBe(h.codes?.failedSync ?? poisoned)
      fault.remove()
      // The disk works again, but the store no longer trusts its handle.
      const later = await h.write(store, 3).catch((e: unknown) => e)
      expect(code(later)).toBe(poisoned)
      // The first cause is kept.
      expect((later as Error).cause).toBe((first as Error).cause)
      await h.close(store).catch(() => undefined)
      const reopened = await h.open(fs)
      expect(await h.read(reopened)).toEqual(acknowledged)
      await h.write(reopened, 4)
      await h.close(reopened)
    })
  })
}
