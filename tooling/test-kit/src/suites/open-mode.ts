import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readOnlyCopy, runUnprivileged } from '../read-only-copy.js'

/** The open-mode options every store's `open` takes (Level's `createIfMissing` / `errorIfExists`, plus `readOnly`). */
export interface OpenMode {
  readonly createIfMissing?: boolean
  readonly errorIfExists?: boolean
  readonly readOnly?: boolean
}

/**
 * What a store tells the open-mode suite about itself. Every case runs on the real disk, in a
 * fresh temp directory `root`; the store lives at `location(root)`.
 */
export interface OpenModeHarness<S> {
  /** Shown in the test names: `'Wal'`. */
  readonly name: string
  /** Where the store lives under `root` (what `open` takes). Default `join(root, 'store')`. */
  location?(root: string): string
  /** Opens the store at `path` with the open-mode options (and nothing else: the defaults). */
  open(path: string, mode?: OpenMode): Promise<S>
  /** Closes it. */
  close(store: S): Promise<void>
  /** Fills a new store at `path` with the package's sample content, and closes it. */
  fill(path: string): Promise<void>
  /** One small acknowledged (durable) write; `i` makes it unique. */
  write(store: S, i: number): Promise<unknown>
  /** What the store holds, as a comparable value (through a read of the open store). */
  read(store: S): Promise<unknown>
  /** Every kind of write a read-only store must refuse with `READ_ONLY` (default: `write(store, 0)`). */
  readOnlyWrites?(store: S): readonly (() => Promise<unknown>)[]
  /**
   * Makes what at `path` looks like an empty store of this kind (default: an empty directory;
   * the NDJSON log: an empty file). `createIfMissing: false` must refuse it with `NOT_FOUND`.
   */
  makeEmpty?(path: string): Promise<void>
  /**
   * Makes `path` someone else's non-empty folder that holds no store of this kind (default: a
   * directory with a `notes.txt`; the NDJSON log: a `notes.txt` next to where its file would be).
   * `createIfMissing: false` and `readOnly` must refuse it with `NOT_FOUND` and change nothing.
   */
  makeForeign?(path: string): Promise<void>
  /**
   * The read-only copy check: `fill(location(root))`, then `root` is copied with mode 555 and
   * `reader` (a script in the package's `test/fixtures`) runs as a user who cannot write it, with
   * `args(location(copy))`; its stdout must be the JSON `expected` and the copy must be unchanged.
   */
  readonly unprivileged: {
    /** Absolute path of the reader script. */
    readonly reader: string
    /** The package directory (where `tsx` resolves the workspace). */
    readonly cwd: string
    /** Its arguments, from the copy's store location (default `[location]`). */
    readonly args?: (location: string) => string[]
    /** What it prints (parsed JSON). */
    readonly expected: unknown
  }
  /** Honest differences, instead of skips. */
  readonly supports?: {
    /**
     * A read-only open sees the store as it was when it opened (default true: the logs read up
     * to the end they found). False for a store whose reads go to the live files (the snapshot
     * store): a reader then sees the writer's later acknowledged writes too.
     */
    readonly readOnlyViewAtOpen?: boolean
  }
}

/** Names and sizes of everything under `dir`: what a refused or read-only open must leave as it is. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(dir, { recursive: true })).sort()) out.push(`${name}:${(await stat(join(dir, name))).size}`)
  return out
}

const code = (err: unknown): unknown => (err as { code?: unknown } | undefined)?.code

/**
 * The open modes every Quire store promises (DESIGN.md, "Conventions"; Level's `createIfMissing`
 * and `errorIfExists`), as one suite every store runs, in the way `abstract-level` ships one suite
 * for every implementation: `createIfMissing: false` is `NOT_FOUND` for a missing or empty store
 * and creates nothing; `errorIfExists: true` is `EXISTS` for an existing one and changes nothing;
 * `readOnly` reads without a lock or any change, refuses every write with `READ_ONLY`, is
 * `NOT_FOUND` for a missing store, opens next to a live writer (no `LOCKED`) and sees what was
 * acknowledged before it opened, and works on a copy the process cannot write (chmod 555, run
 * as an unprivileged user); a path under a plain file is `ENOTDIR` naming that file.
 *
 * Registers vitest tests; call it at the top level of a test file.
 */
export function openModeSuite<S>(h: OpenModeHarness<S>): void {
  const location = (root: string): string => h.location?.(root) ?? join(root, 'store')
  const dirs: string[] = []
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'quire-open-mode-'))
    dirs.push(d)
    return d
  }
  /** What a store filled by `fill` reads as, through an ordinary open. */
  const filledContent = async (path: string): Promise<unknown> => {
    const s = await h.open(path)
    try {
      return await h.read(s)
    } finally {
      await h.close(s)
    }
  }

  describe(`${h.name}: open modes (shared suite)`, () => {
    afterEach(async () => {
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
    })

    it('createIfMissing: false is NOT_FOUND for a missing or empty store and creates nothing; it opens an existing one', async () => {
      const root = await tempDir()
      const missing = location(join(root, 'typo'))
      const err = await h.open(missing, { createIfMissing: false }).catch((e: unknown) => e)
      expect(code(err)).toBe('NOT_FOUND')
      expect(await readdir(root)).toEqual([])
      const empty = location(join(root, 'empty'))
      await mkdir(join(root, 'empty'))
      await (h.makeEmpty ?? ((p: string) => mkdir(p)))(empty)
      const before = await listing(root)
      expect(code(await h.open(empty, { createIfMissing: false }).catch((e: unknown) => e))).toBe('NOT_FOUND')
      expect(await listing(root)).toEqual(before)
      const path = location(join(root, 'full'))
      await h.fill(path)
      const expected = await filledContent(path)
      const store = await h.open(path, { createIfMissing: false })
      expect(await h.read(store)).toEqual(expected)
      await h.close(store)
    })

    it('a non-empty folder holding no store is NOT_FOUND under createIfMissing: false and readOnly, changing nothing; the default creates the store next to what is there', async () => {
      const root = await tempDir()
      const path = location(root)
      await (h.makeForeign ?? (async (p: string) => {
        await mkdir(p, { recursive: true })
        await writeFile(join(p, 'notes.txt'), 'not a store\n')
      }))(path)
      const before = await listing(root)
      for (const mode of [{ createIfMissing: false }, { readOnly: true }]) {
        const err = await h.open(path, mode).catch((e: unknown) => e)
        expect(code(err), JSON.stringify(mode)).toBe('NOT_FOUND')
        expect(await listing(root)).toEqual(before)
      }
      const store = await h.open(path)
      await h.write(store, 1)
      await h.close(store)
      const after = await listing(root)
      for (const entry of before) expect(after).toContain(entry)
    })

    it('errorIfExists: true creates a new store and refuses an existing one with EXISTS, changing nothing', async () => {
      const root = await tempDir()
      const path = location(root)
      const fresh = await h.open(path, { errorIfExists: true })
      await h.write(fresh, 1)
      await h.close(fresh)
      const before = await listing(root)
      const err = await h.open(path, { errorIfExists: true }).catch((e: unknown) => e)
      expect(code(err)).toBe('EXISTS')
      expect(await listing(root)).toEqual(before)
    })

    it('readOnly reads a closed store without a lock or any change; every write is READ_ONLY', async () => {
      const root = await tempDir()
      const path = location(root)
      await h.fill(path)
      const before = await listing(root)
      const store = await h.open(path, { readOnly: true })
      const seen = await h.read(store)
      expect(await listing(root)).toEqual(before) // no lock file, nothing written
      for (const write of h.readOnlyWrites?.(store) ?? [() => h.write(store, 0)]) {
        const err = await write().catch((e: unknown) => e)
        expect(code(err)).toBe('READ_ONLY')
      }
      await h.close(store)
      expect(await listing(root)).toEqual(before)
      expect(seen).toEqual(await filledContent(path))
    })

    it('readOnly: a missing store is NOT_FOUND and nothing is created', async () => {
      const root = await tempDir()
      expect(code(await h.open(location(join(root, 'nope')), { readOnly: true }).catch((e: unknown) => e))).toBe('NOT_FOUND')
      expect(await readdir(root)).toEqual([])
    })

    it('readOnly opens next to a live writer (no LOCKED) and sees what was acknowledged before it opened', async () => {
      const root = await tempDir()
      const writer = await h.open(location(root))
      try {
        await h.write(writer, 1)
        await h.write(writer, 2)
        const acknowledged = await h.read(writer)
        const reader = await h.open(location(root), { readOnly: true })
        await h.write(writer, 3)
        if (h.supports?.readOnlyViewAtOpen ?? true) expect(await h.read(reader)).toEqual(acknowledged)
        else expect(await h.read(reader)).toEqual(await h.read(writer))
        await h.close(reader)
        // The writer is untouched by the reader's open and close.
        await h.write(writer, 4)
      } finally {
        await h.close(writer)
      }
    })

    it('works on a read-only copy (chmod 555) as a user who cannot write it; a writable open there is READ_ONLY', async () => {
      const root = await tempDir()
      await h.fill(location(root))
      const copy = await readOnlyCopy(root)
      try {
        const before = await listing(copy.path)
        const args = h.unprivileged.args?.(location(copy.path)) ?? [location(copy.path)]
        const run = await runUnprivileged(h.unprivileged.reader, args, h.unprivileged.cwd)
        expect(run.stderr).toBe('')
        expect(JSON.parse(run.stdout)).toEqual(h.unprivileged.expected)
        expect(await listing(copy.path)).toEqual(before)
      } finally {
        await copy.dispose()
      }
    })

    it('a path under a plain file is ENOTDIR naming that file, not a raw error on a lock', async () => {
      const root = await tempDir()
      const plain = join(root, 'plain-file.txt')
      await writeFile(plain, 'x')
      const err = await h.open(location(plain)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'ENOTDIR', blockedBy: plain })
      expect(await readdir(root)).toEqual(['plain-file.txt'])
    })
  })
}
