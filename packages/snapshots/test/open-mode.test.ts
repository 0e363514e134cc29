import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dirListing, openModeSuite, useTempDirs } from '@quire/test-kit'
import { SnapshotStore } from '../src/index.js'

const tempDir = useTempDirs('quire-snapshots-open-')

const listing = dirListing

async function storeWith(dir: string): Promise<void> {
  const store = await SnapshotStore.open(dir)
  await store.save('k', { position: 5, state: { n: 5 } })
  await store.save('j', { position: 1, state: 'j' })
  await store.close()
}

/** Every key and its newest snapshot's position and state. */
async function contents(store: SnapshotStore): Promise<unknown> {
  const keys: string[] = []
  for await (const k of store.keys()) keys.push(k)
  const out: Record<string, unknown> = {}
  for (const k of keys.sort()) {
    const s = await store.load(k)
    out[k] = { position: s?.position, state: s?.state }
  }
  return out
}

openModeSuite<SnapshotStore>({
  name: 'SnapshotStore',
  open: (path, mode) => SnapshotStore.open(path, mode),
  close: (store) => store.close(),
  fill: storeWith,
  write: (store, i) => store.save(`k${i}`, { position: i, state: { i } }),
  read: contents,
  readOnlyWrites: (store) => [() => store.save('k', { position: 6, state: 6 }), () => store.delete('k')],
  supports: { readOnlyViewAtOpen: false }, // loads read the live key directories
  unprivileged: {
    reader: fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url)),
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    expected: { position: 5, state: { n: 5 }, save: 'READ_ONLY', writable: 'READ_ONLY' },
  },
})

describe('readOnly', () => {
  it('loads without sweeping: a temp file an interrupted save left stays', async () => {
    const root = await tempDir()
    await storeWith(root)
    const keyDir = (await readdir(root)).find((n) => n.startsWith('k-'))!
    await writeFile(join(root, keyDir, 'left-by-a-crash.tmp'), 'x')
    const before = await listing(root)
    const store = await SnapshotStore.open(root, { readOnly: true })
    expect(store.readOnly).toBe(true)
    expect(await store.load('k')).toMatchObject({ position: 5, state: { n: 5 } })
    await store.close()
    expect(await listing(root)).toEqual(before)
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
})
