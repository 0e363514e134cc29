import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dirListing, openModeSuite, useTempDirs } from '@quire/test-kit'
import { MvccStore, ReadOnlyError } from '../src/index.js'

const tempDir = useTempDirs('quire-mvcc-open-')

const listing = dirListing

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

/** Every key and value, through one read transaction. */
async function contents(db: MvccStore): Promise<unknown> {
  const tx = db.begin()
  const out: [string, unknown][] = []
  for await (const [k, v] of tx.scan()) out.push([k, v])
  await tx.commit()
  return out
}

openModeSuite<MvccStore>({
  name: 'MvccStore',
  open: (path, mode) => MvccStore.open(path, mode),
  close: (db) => db.close(),
  fill: (path) => storeWith(path),
  write: (db, i) => db.transaction(async (tx) => tx.put(`k${i}`, i)),
  read: contents,
  readOnlyWrites: (db) => [() => db.transaction(async (t) => t.put('carol', 1)), () => db.checkpoint()],
  unprivileged: {
    reader: fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url)),
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    expected: { alice: 70, put: 'READ_ONLY', checkpoint: 'READ_ONLY', writable: 'READ_ONLY' },
  },
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
})
