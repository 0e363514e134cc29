import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { openModeSuite, useTempDirs } from '@quire/test-kit'
import { StoreNotFoundError, Wal } from '../src/index.js'
import { collect, DIR, enc, plain } from './helpers.js'

const tempDir = useTempDirs('quire-wal-open-')

async function logWith(dir: string, n: number): Promise<void> {
  const wal = await Wal.open(dir)
  for (let i = 1; i <= n; i++) await wal.append({ op: 'put', key: enc(`k${i}`), value: enc(`v${i}`) })
  await wal.close()
}

openModeSuite<Wal>({
  name: 'Wal',
  open: (path, mode) => Wal.open(path, mode),
  close: (wal) => wal.close(),
  fill: (path) => logWith(path, 4),
  write: (wal, i) => wal.append({ op: 'put', key: enc(`k${i}`), value: enc(`v${i}`) }),
  read: async (wal) => ({ lastSeq: wal.lastSeq, entries: (await collect(wal)).map(plain) }),
  readOnlyWrites: (wal) => [
    () => wal.append({ op: 'put', key: enc('x'), value: enc('y') }),
    () => wal.appendBatch([{ op: 'delete', key: enc('x') }]),
    () => wal.truncateBefore(1),
  ],
  unprivileged: {
    reader: fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url)),
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    expected: { lastSeq: 4, entries: 4, append: 'READ_ONLY', writable: 'READ_ONLY' },
  },
})

describe('readOnly', () => {
  it('reports readOnly', async () => {
    const dir = join(await tempDir(), 'wal')
    await logWith(dir, 1)
    const wal = await Wal.open(dir, { readOnly: true })
    expect(wal.readOnly).toBe(true)
    await wal.close()
  })

  it('reads past a torn tail in memory, writes nothing; a writable open repairs it afterwards', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    await wal.append({ op: 'put', key: enc('a'), value: enc('1') })
    await wal.append({ op: 'put', key: enc('b'), value: enc('2') })
    await wal.close()
    const segment = (await fs.readdir(DIR)).find((n) => n.endsWith('.wal'))!
    const h = await fs.open(join(DIR, segment), 'a')
    await h.write(new Uint8Array([9, 0, 0, 0, 1, 2])) // half a frame: an append a crash tore
    await h.close()
    const before = fs.dump()
    const ro = await Wal.open(DIR, { fs, readOnly: true })
    expect(ro.lastSeq).toBe(2)
    expect((await collect(ro)).map(plain).map((e) => e.key)).toEqual(['a', 'b'])
    expect(ro.recoveryReport.readOnly).toBe(true)
    expect(ro.recoveryReport.actions.map((a) => a.action)).toEqual(['cut-torn-tail'])
    expect(ro.recoveryReport.actions[0]?.quarantine).toBeUndefined()
    await ro.close()
    expect(fs.dump()).toEqual(before)
    const rw = await Wal.open(DIR, { fs })
    expect(rw.recoveryReport.readOnly).toBe(false)
    expect(rw.recoveryReport.actions.map((a) => a.action)).toEqual(['cut-torn-tail'])
    await rw.close()
  })

})

describe('options and paths', () => {
  it('an unknown option key is INVALID_ARGUMENT naming it, before anything is created', async () => {
    const root = await tempDir()
    await expect(Wal.open(join(root, 'w'), { synk: 'none' } as never)).rejects.toThrow('Wal.open: unknown option "synk"')
    await expect(Wal.open(join(root, 'w'), { readOnly: 'yes' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await readdir(root)).toEqual([])
    await logWith(join(root, 'w'), 1)
    const wal = await Wal.open(join(root, 'w'))
    await expect(collect(wal, undefined).then(() => wal.replay({ form: 1 } as never).next())).rejects.toThrow('Wal.replay: unknown option "form"')
    await wal.close()
  })
})

describe('a folder that is not a log', () => {
  it('createIfMissing: false on a folder with only notes.txt says it is not empty but holds no write-ahead log, and writes no segment', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'notes.txt'), 'mine\n')
    const err = await Wal.open(dir, { createIfMissing: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreNotFoundError)
    expect((err as Error).message).toMatch(/not empty but holds no write-ahead log, and createIfMissing is false/)
    expect(await readdir(dir)).toEqual(['notes.txt'])
  })
})
