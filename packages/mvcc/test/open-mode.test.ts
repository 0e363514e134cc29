import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { readOnlyCopy, runUnprivileged } from '@quire/test-kit'
import { MvccStore, PathKindError, ReadOnlyError, StoreExistsError, StoreNotFoundError } from '../src/index.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quire-mvcc-open-'))
  dirs.push(d)
  return d
}

/** Names and sizes of everything under `dir`. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(dir, { recursive: true })).sort()) out.push(`${name}:${(await stat(join(dir, name))).size}`)
  return out
}

async function storeWith(dir: string, checkpoint = true): Promise<void> {
  const db = await MvccStore.open(dir)
  await db.transaction(async (tx) => {
    await tx.put('alice', 100)
    await tx.put('bob', 50)
  })
  if (checkpoint) await db.checkpoint()
  await db.transaction(async (tx) => tx.put('alice', 70))
  await db.close()
}

describe('createIfMissing and errorIfExists', () => {
  it('createIfMissing: false is NOT_FOUND for a missing or empty directory and creates nothing', async () => {
    const root = await tempDir()
    await expect(MvccStore.open(join(root, 'typo'), { createIfMissing: false })).rejects.toBeInstanceOf(StoreNotFoundError)
    await mkdir(join(root, 'empty'))
    await expect(MvccStore.open(join(root, 'empty'), { createIfMissing: false })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(root)).toEqual(['empty'])
    expect(await readdir(join(root, 'empty'))).toEqual([])
  })

  it('errorIfExists: true is EXISTS for an existing store, changing nothing', async () => {
    const root = await tempDir()
    await storeWith(join(root, 's'))
    const before = await listing(root)
    await expect(MvccStore.open(join(root, 's'), { errorIfExists: true })).rejects.toBeInstanceOf(StoreExistsError)
    expect(await listing(root)).toEqual(before)
  })
})

describe('readOnly', () => {
  it.each([true, false])('reads the checkpoint plus the log (checkpointed: %s) without a lock or any change; writes are READ_ONLY', async (checkpointed) => {
    const root = await tempDir()
    await storeWith(root, checkpointed)
    const before = await listing(root)
    const db = await MvccStore.open(root, { readOnly: true })
    expect(db.readOnly).toBe(true)
    const tx = db.begin()
    expect(await tx.get('alice')).toBe(70)
    expect(await tx.get('bob')).toBe(50)
    const err = await tx.put('carol', 1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReadOnlyError)
    expect(err).toMatchObject({ code: 'READ_ONLY' })
    await tx.commit()
    await expect(db.transaction(async (t) => t.put('carol', 1))).rejects.toMatchObject({ code: 'READ_ONLY' })
    await expect(db.checkpoint()).rejects.toMatchObject({ code: 'READ_ONLY' })
    await db.close()
    expect(await listing(root)).toEqual(before)
  })

  it('opens next to a live writer (no LOCKED) and sees what was committed before it opened', async () => {
    const root = await tempDir()
    const writer = await MvccStore.open(root)
    try {
      await writer.transaction(async (tx) => tx.put('k', 1))
      const reader = await MvccStore.open(root, { readOnly: true })
      await writer.transaction(async (tx) => tx.put('k', 2))
      const tx = reader.begin()
      expect(await tx.get('k')).toBe(1)
      await tx.commit()
      await reader.close()
      await writer.transaction(async (tx) => tx.put('k', 3))
    } finally {
      await writer.close()
    }
  })

  it('works on a read-only copy (chmod 555) as a user who cannot write it; a writable open there is READ_ONLY', async () => {
    const root = await tempDir()
    await storeWith(root)
    const copy = await readOnlyCopy(root)
    try {
      const before = await listing(copy.path)
      const reader = fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url))
      const run = await runUnprivileged(reader, [copy.path], fileURLToPath(new URL('..', import.meta.url)))
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout)).toEqual({ alice: 70, put: 'READ_ONLY', checkpoint: 'READ_ONLY', writable: 'READ_ONLY' })
      expect(await listing(copy.path)).toEqual(before)
    } finally {
      await copy.dispose()
    }
  })
})

describe('options and paths', () => {
  it('unknown option keys of open, begin, transaction and scan are INVALID_ARGUMENT naming them', async () => {
    const root = await tempDir()
    await expect(MvccStore.open(join(root, 's'), { synk: 'none' } as never)).rejects.toThrow('MvccStore.open: unknown option "synk"')
    expect(await readdir(root)).toEqual([])
    const db = await MvccStore.open(join(root, 's'))
    expect(() => db.begin({ readonly: true } as never)).toThrow('MvccStore.begin: unknown option "readonly"')
    await expect(db.transaction(async () => undefined, { retry: 3 } as never)).rejects.toThrow('MvccStore.transaction: unknown option "retry"')
    const tx = db.begin()
    await expect(tx.scan({ prefx: 'a' } as never).next()).rejects.toThrow('Transaction.scan: unknown option "prefx"')
    await tx.abort()
    await db.close()
  })

  it('a path under a plain file is a PathKindError naming the file', async () => {
    const root = await tempDir()
    const plain = join(root, 'plain-file.txt')
    await writeFile(plain, 'x')
    await expect(MvccStore.open(join(plain, 'db'))).rejects.toSatisfy((e: unknown) => e instanceof PathKindError && e.blockedBy === plain)
  })
})
