import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { readOnlyCopy, runUnprivileged } from '@quire/test-kit'
import { EventStore, ndjsonBackend, PathKindError, ReadOnlyError, recordKeeperBackend, StoreExistsError, StoreNotFoundError, walBackend } from '../src/index.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quire-es-open-'))
  dirs.push(d)
  return d
}

/** Names and sizes of everything under `dir`. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(dir, { recursive: true })).sort()) out.push(`${name}:${(await stat(join(dir, name))).size}`)
  return out
}

type Mode = { createIfMissing?: boolean; errorIfExists?: boolean; readOnly?: boolean }
const kinds = [
  { kind: 'wal', path: (root: string) => join(root, 'store'), backend: (path: string, mode: Mode = {}) => walBackend(path, mode) },
  { kind: 'ndjson', path: (root: string) => join(root, 'events.ndjson'), backend: (path: string, mode: Mode = {}) => ndjsonBackend(path, mode) },
  { kind: 'record-keeper', path: (root: string) => join(root, 'store'), backend: (path: string, mode: Mode = {}) => recordKeeperBackend(path, mode) },
] as const

async function storeWith(backend: ReturnType<typeof walBackend>): Promise<void> {
  const store = await EventStore.open({ backend })
  await store.appendToStream('s', [{ type: 'Opened', data: { n: 1 } }, { type: 'Deposited', data: { n: 2 } }])
  await store.close()
}

async function typesOf(store: EventStore): Promise<string[]> {
  const out: string[] = []
  for await (const e of store.readStream('s')) out.push(e.type)
  return out
}

describe.each(kinds)('the $kind backend', ({ kind, path, backend }) => {
  it('createIfMissing: false is NOT_FOUND and creates nothing; errorIfExists: true is EXISTS and changes nothing', async () => {
    const root = await tempDir()
    const err = await EventStore.open({ backend: backend(path(root), { createIfMissing: false }) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreNotFoundError)
    expect(await readdir(root)).toEqual([])
    await storeWith(backend(path(root)))
    const before = await listing(root)
    await expect(EventStore.open({ backend: backend(path(root), { errorIfExists: true }) })).rejects.toBeInstanceOf(StoreExistsError)
    expect(await listing(root)).toEqual(before)
    const again = await EventStore.open({ backend: backend(path(root), { createIfMissing: false }) })
    expect(await typesOf(again)).toEqual(['Opened', 'Deposited'])
    await again.close()
  })

  it('readOnly: reads without a lock or any change; appends and stream commands are READ_ONLY', async () => {
    const root = await tempDir()
    await storeWith(backend(path(root)))
    const before = await listing(root)
    const store = await EventStore.open({ backend: backend(path(root), { readOnly: true }) })
    expect(await typesOf(store)).toEqual(['Opened', 'Deposited'])
    const err = await store.appendToStream('s', [{ type: 'X', data: {} }]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReadOnlyError)
    expect(err).toMatchObject({ code: 'READ_ONLY' })
    await expect(store.deleteStream('s')).rejects.toMatchObject({ code: 'READ_ONLY' })
    await store.close()
    expect(await listing(root)).toEqual(before)
    await expect(EventStore.open({ backend: backend(join(root, 'missing'), { readOnly: true }) })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('readOnly opens next to a live writer (no LOCKED) and sees what it had acknowledged', async () => {
    const root = await tempDir()
    const writer = await EventStore.open({ backend: backend(path(root)) })
    try {
      await writer.appendToStream('s', [{ type: 'Opened', data: {} }])
      const reader = await EventStore.open({ backend: backend(path(root), { readOnly: true }) })
      await writer.appendToStream('s', [{ type: 'Later', data: {} }])
      expect(await typesOf(reader)).toEqual(['Opened'])
      await reader.close()
    } finally {
      await writer.close()
    }
  })

  it('works on a read-only copy (chmod 555) as a user who cannot write it; a writable open there is READ_ONLY', async () => {
    const root = await tempDir()
    await storeWith(backend(path(root)))
    const copy = await readOnlyCopy(root)
    try {
      const before = await listing(copy.path)
      const reader = fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url))
      const run = await runUnprivileged(reader, [kind, path(copy.path)], fileURLToPath(new URL('..', import.meta.url)))
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout)).toEqual({ types: ['Opened', 'Deposited'], append: 'READ_ONLY', writable: 'READ_ONLY' })
      expect(await listing(copy.path)).toEqual(before)
    } finally {
      await copy.dispose()
    }
  })

  it('a path under a plain file is a PathKindError naming the file, not a raw ENOTDIR', async () => {
    const root = await tempDir()
    const plain = join(root, 'plain-file.txt')
    await writeFile(plain, 'x')
    const err = await EventStore.open({ backend: backend(path(plain)) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PathKindError)
    expect(err).toMatchObject({ code: 'ENOTDIR', blockedBy: plain })
  })
})

describe('backend options', () => {
  it('an unknown key is INVALID_ARGUMENT naming it, when the backend is made', () => {
    expect(() => walBackend('/x', { synk: 'none' } as never)).toThrow('walBackend: unknown option "synk"')
    expect(() => ndjsonBackend('/x.ndjson', { synk: 'none' } as never)).toThrow('ndjsonBackend: unknown option "synk"')
    expect(() => recordKeeperBackend('/x', { synk: 'none' } as never)).toThrow('recordKeeperBackend: unknown option "synk"')
    expect(() => walBackend('/x', { readOnly: true, createIfMissing: true })).toThrow(/cannot create/)
  })
})
