import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { readOnlyCopy, runUnprivileged } from '@quire/test-kit'
import { PathKindError, ReadOnlyError, SnapshotStore, StoreExistsError, StoreNotFoundError } from '../src/index.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quire-snapshots-open-'))
  dirs.push(d)
  return d
}

/** Names and sizes of everything under `dir`. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(dir, { recursive: true })).sort()) out.push(`${name}:${(await stat(join(dir, name))).size}`)
  return out
}

async function storeWith(dir: string): Promise<void> {
  const store = await SnapshotStore.open(dir)
  await store.save('k', { position: 5, state: { n: 5 } })
  await store.save('j', { position: 1, state: 'j' })
  await store.close()
}

describe('createIfMissing and errorIfExists', () => {
  it('createIfMissing: false refuses a missing or empty directory with NOT_FOUND and creates nothing', async () => {
    const root = await tempDir()
    const err = await SnapshotStore.open(join(root, 'typo', 'snaps'), { createIfMissing: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreNotFoundError)
    expect(err).toMatchObject({ code: 'NOT_FOUND' })
    await mkdir(join(root, 'empty'))
    await expect(SnapshotStore.open(join(root, 'empty'), { createIfMissing: false })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(root)).toEqual(['empty'])
    expect(await readdir(join(root, 'empty'))).toEqual([])
    await storeWith(join(root, 's'))
    const store = await SnapshotStore.open(join(root, 's'), { createIfMissing: false })
    expect((await store.load('k'))?.position).toBe(5)
    await store.close()
  })

  it('errorIfExists: true refuses an existing store with EXISTS, changing nothing', async () => {
    const root = await tempDir()
    await storeWith(join(root, 's'))
    const before = await listing(root)
    await expect(SnapshotStore.open(join(root, 's'), { errorIfExists: true })).rejects.toBeInstanceOf(StoreExistsError)
    expect(await listing(root)).toEqual(before)
    await (await SnapshotStore.open(join(root, 'new'), { errorIfExists: true })).close()
  })
})

describe('readOnly', () => {
  it('loads without a lock file or any change (a temp file an interrupted save left stays); save and delete are READ_ONLY', async () => {
    const root = await tempDir()
    await storeWith(root)
    const keyDir = (await readdir(root)).find((n) => n.startsWith('k-'))!
    await writeFile(join(root, keyDir, 'left-by-a-crash.tmp'), 'x')
    const before = await listing(root)
    const store = await SnapshotStore.open(root, { readOnly: true })
    expect(store.readOnly).toBe(true)
    expect(await store.load('k')).toMatchObject({ position: 5, state: { n: 5 } })
    const keys: string[] = []
    for await (const k of store.keys()) keys.push(k)
    expect(keys.sort()).toEqual(['j', 'k'])
    for (const write of [() => store.save('k', { position: 6, state: 6 }), () => store.delete('k')]) {
      const err = await write().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ReadOnlyError)
      expect(err).toMatchObject({ code: 'READ_ONLY' })
    }
    await store.close()
    expect(await listing(root)).toEqual(before)
  })

  it('a missing store is NOT_FOUND and nothing is created', async () => {
    const root = await tempDir()
    await expect(SnapshotStore.open(join(root, 'nope'), { readOnly: true })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(root)).toEqual([])
  })

  it('opens next to a live writer and loads what it saved', async () => {
    const root = await tempDir()
    const writer = await SnapshotStore.open(root)
    try {
      await writer.save('k', { position: 1, state: 'one' })
      const reader = await SnapshotStore.open(root, { readOnly: true })
      expect((await reader.load('k'))?.state).toBe('one')
      await reader.close()
      await writer.save('k', { position: 2, state: 'two' })
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
      expect(JSON.parse(run.stdout)).toEqual({ position: 5, state: { n: 5 }, save: 'READ_ONLY', writable: 'READ_ONLY' })
      expect(await listing(copy.path)).toEqual(before)
    } finally {
      await copy.dispose()
    }
  })
})

describe('options and paths', () => {
  it('unknown keys in the options of open and load and in save input are INVALID_ARGUMENT naming them', async () => {
    const root = await tempDir()
    await expect(SnapshotStore.open(join(root, 's'), { kepp: 3 } as never)).rejects.toThrow('SnapshotStore.open: unknown option "kepp"')
    expect(await readdir(root)).toEqual([])
    const store = await SnapshotStore.open(join(root, 's'))
    await expect(store.save('k', { position: 1, state: 1, schemaVerison: 2 } as never)).rejects.toThrow('SnapshotStore.save: unknown option "schemaVerison"')
    await expect(store.load('k', { maxPositon: 3 } as never)).rejects.toThrow('SnapshotStore.load: unknown option "maxPositon"')
    expect(await store.load('k')).toBeUndefined()
    await store.close()
  })

  it('a path under a plain file is a PathKindError naming the file', async () => {
    const root = await tempDir()
    const plain = join(root, 'plain-file.txt')
    await writeFile(plain, 'x')
    await expect(SnapshotStore.open(join(plain, 'snaps'))).rejects.toSatisfy((e: unknown) => e instanceof PathKindError && e.blockedBy === plain)
  })
})
