import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dirListing, openModeSuite, useTempDirs } from '@quire/test-kit'
import { Depot, PathKindError, RecordKeeper, StoreNotFoundError } from '../src/index.js'

const A = '11111111-1111-4111-8111-111111111111'
const B = '22222222-2222-4222-8222-222222222222'
const OBJ = '33333333-3333-4333-8333-333333333333'

const tempDir = useTempDirs('quire-rk-open-')

const listing = dirListing

async function storesWith(dir: string): Promise<void> {
  const rk = await RecordKeeper.open(dir)
  await rk.add({ id: A, type: 'Opened' })
  await rk.add({ id: B, type: 'Deposited' })
  await rk.close()
  const depot = await Depot.open(dir)
  await depot.reserve(OBJ, 5)
  await depot.write(OBJ, 0, new TextEncoder().encode('hello'))
  await depot.finalize(OBJ)
  await depot.close()
}

const id = (i: number): string => `${String(i % 10).repeat(8)}-0000-4000-8000-00000000000${i % 10}`

const unprivileged = {
  reader: fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url)),
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  args: (location: string) => [location, OBJ],
  expected: { types: ['Opened', 'Deposited'], add: 'READ_ONLY', object: 'hello', reserve: 'READ_ONLY', rkOk: true, depotOk: true, writable: 'READ_ONLY' },
}

openModeSuite<RecordKeeper>({
  name: 'RecordKeeper',
  open: (path, mode) => RecordKeeper.open(path, mode),
  close: (rk) => rk.close(),
  fill: storesWith,
  write: (rk, i) => rk.add({ id: id(i), type: `T${i}` }),
  read: async (rk) => {
    const types: unknown[] = []
    for await (const e of rk.events()) types.push(e.type)
    return { types, tail: await rk.tail() }
  },
  unprivileged,
})

openModeSuite<Depot>({
  name: 'Depot',
  open: (path, mode) => Depot.open(path, mode),
  close: (depot) => depot.close(),
  fill: storesWith,
  write: async (depot, i) => {
    await depot.reserve(id(i), 1)
    await depot.write(id(i), 0, new Uint8Array([i]))
    await depot.finalize(id(i))
  },
  read: async (depot) => Promise.all([OBJ, id(0), id(1), id(2), id(3), id(4)].map((o) => depot.state(o))),
  readOnlyWrites: (depot) => [() => depot.reserve(B, 1), () => depot.write(OBJ, 0, new Uint8Array(1)), () => depot.finalize(OBJ), () => depot.purge(OBJ)],
  supports: { readOnlyViewAtOpen: false }, // reads go to the live object files
  unprivileged,
})

describe('readOnly', () => {
  it('reads without a lock or any repair (an orphan and a temp file stay); writes are READ_ONLY', async () => {
    const root = await tempDir()
    await storesWith(root)
    // An event file written but never linked (a crash between the write and the link).
    const orphanDir = join(root, 'rk', 'events', '4', '4', '4')
    await mkdir(orphanDir, { recursive: true })
    await writeFile(join(orphanDir, '44444444-4444-4444-8444-444444444444'), 'not linked')
    const before = await listing(root)
    const rk = await RecordKeeper.open(root, { readOnly: true })
    expect(rk.recovery).toMatchObject({ events: 2, orphansRemoved: 1, readOnly: true })
    const types: unknown[] = []
    for await (const e of rk.events()) types.push(e.type)
    expect(types).toEqual(['Opened', 'Deposited'])
    expect(await rk.tail()).toBe(B)
    await expect(rk.add({ id: '55555555-5555-4555-8555-555555555555', type: 'x' })).rejects.toMatchObject({ code: 'READ_ONLY' })
    await rk.close()
    const depot = await Depot.open(root, { readOnly: true })
    expect(new TextDecoder().decode(await depot.read(OBJ, 0, 5))).toBe('hello')
    for (const write of [() => depot.reserve(B, 1), () => depot.write(OBJ, 0, new Uint8Array(1)), () => depot.finalize(OBJ), () => depot.purge(OBJ)]) {
      await expect(write()).rejects.toMatchObject({ code: 'READ_ONLY' })
    }
    await depot.close()
    expect(await listing(root)).toEqual(before)
  })

  it('opens next to a live writer of each store (no LOCKED)', async () => {
    const root = await tempDir()
    await storesWith(root)
    const writer = await RecordKeeper.open(root)
    const depotWriter = await Depot.open(root)
    try {
      const reader = await RecordKeeper.open(root, { readOnly: true })
      expect(await reader.tail()).toBe(B)
      await reader.close()
      const depotReader = await Depot.open(root, { readOnly: true })
      expect(await depotReader.exists(OBJ)).toBe(true)
      await depotReader.close()
      expect((await RecordKeeper.verify(root)).ok).toBe(true)
      expect((await Depot.verify(root)).ok).toBe(true)
      await writer.add({ id: '66666666-6666-4666-8666-666666666666', type: 'Later' })
    } finally {
      await writer.close()
      await depotWriter.close()
    }
  })

})

describe('verify', () => {
  it('never answers ok about a store that is not there', async () => {
    const root = await tempDir()
    await expect(RecordKeeper.verify(join(root, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(Depot.verify(join(root, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await mkdir(join(root, 'empty', 'rk'), { recursive: true })
    await expect(RecordKeeper.verify(join(root, 'empty'))).rejects.toBeInstanceOf(StoreNotFoundError)
    expect(await readdir(root)).toEqual(['empty'])
  })

  it('takes no lock: it answers while a writer holds the store, and writes nothing', async () => {
    const root = await tempDir()
    await storesWith(root)
    const writer = await RecordKeeper.open(root)
    try {
      const report = await RecordKeeper.verify(root)
      expect(report.ok).toBe(true)
    } finally {
      await writer.close()
    }
  })
})

describe('options and paths', () => {
  it('unknown option keys are INVALID_ARGUMENT naming them', async () => {
    const root = await tempDir()
    await expect(RecordKeeper.open(root, { maxEventByte: 1 } as never)).rejects.toThrow('RecordKeeper.open: unknown option "maxEventByte"')
    await expect(Depot.open(root, { maxObjectByte: 1 } as never)).rejects.toThrow('Depot.open: unknown option "maxObjectByte"')
    expect(await readdir(root)).toEqual([])
    await storesWith(root)
    await expect(RecordKeeper.verify(root, { fss: 1 } as never)).rejects.toThrow('RecordKeeper.verify: unknown option "fss"')
    await expect(Depot.verify(root, { fss: 1 } as never)).rejects.toThrow('Depot.verify: unknown option "fss"')
    const rk = await RecordKeeper.open(root)
    await expect(rk.events({ afer: A } as never).next()).rejects.toThrow('RecordKeeper.events: unknown option "afer"')
    await rk.close()
  })

  it('a directory that is a plain file is a PathKindError naming it, not a raw ENOTDIR on its LOCK', async () => {
    const root = await tempDir()
    const plain = join(root, 'plain-file.txt')
    await writeFile(plain, 'x')
    for (const open of [() => RecordKeeper.open(plain), () => Depot.open(plain), () => RecordKeeper.verify(plain), () => Depot.verify(plain)]) {
      const err = await open().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PathKindError)
      expect(err).toMatchObject({ code: 'ENOTDIR', blockedBy: plain })
    }
  })
})
