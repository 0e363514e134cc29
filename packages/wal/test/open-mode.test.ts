import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { readOnlyCopy, runUnprivileged } from '@quire/test-kit'
import { PathKindError, ReadOnlyError, StoreExistsError, StoreNotFoundError, Wal } from '../src/index.js'
import { collect, DIR, enc, plain } from './helpers.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quire-wal-open-'))
  dirs.push(d)
  return d
}

/** Names and sizes of everything under `dir`: what a read-only open must leave as it is. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(dir, { recursive: true })).sort()) out.push(`${name}:${(await stat(join(dir, name))).size}`)
  return out
}

async function logWith(dir: string, n: number): Promise<void> {
  const wal = await Wal.open(dir)
  for (let i = 1; i <= n; i++) await wal.append({ op: 'put', key: enc(`k${i}`), value: enc(`v${i}`) })
  await wal.close()
}

describe('createIfMissing and errorIfExists', () => {
  it('createIfMissing: false refuses a missing or empty directory with NOT_FOUND and creates nothing', async () => {
    const root = await tempDir()
    const missing = join(root, 'typo', 'wal')
    const err = await Wal.open(missing, { createIfMissing: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreNotFoundError)
    expect(err).toMatchObject({ code: 'NOT_FOUND', path: missing })
    expect(await readdir(root)).toEqual([])
    const empty = join(root, 'empty')
    await Wal.open(empty).then((w) => w.close()) // creates it
    await rm(empty, { recursive: true })
    await (await import('node:fs/promises')).mkdir(empty)
    await expect(Wal.open(empty, { createIfMissing: false })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(empty)).toEqual([])
  })

  it('createIfMissing: false opens an existing log; the default still creates one', async () => {
    const root = await tempDir()
    await logWith(join(root, 'a'), 2)
    const wal = await Wal.open(join(root, 'a'), { createIfMissing: false })
    expect(wal.lastSeq).toBe(2)
    await wal.close()
  })

  it('errorIfExists: true creates a new log and refuses an existing one with EXISTS, changing nothing', async () => {
    const root = await tempDir()
    const dir = join(root, 'a')
    const fresh = await Wal.open(dir, { errorIfExists: true })
    await fresh.append({ op: 'put', key: enc('k'), value: enc('v') })
    await fresh.close()
    const before = await listing(dir)
    const err = await Wal.open(dir, { errorIfExists: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreExistsError)
    expect(err).toMatchObject({ code: 'EXISTS', path: dir })
    expect(await listing(dir)).toEqual(before)
  })
})

describe('readOnly', () => {
  it('reads a closed log without a lock file or any change; every write is READ_ONLY', async () => {
    const dir = join(await tempDir(), 'wal')
    await logWith(dir, 3)
    const before = await listing(dir)
    const wal = await Wal.open(dir, { readOnly: true })
    expect(wal.readOnly).toBe(true)
    expect(wal.lastSeq).toBe(3)
    expect((await collect(wal)).map(plain).map((e) => e.value)).toEqual(['v1', 'v2', 'v3'])
    expect(await listing(dir)).toEqual(before) // no LOCK file, nothing written
    for (const write of [
      () => wal.append({ op: 'put', key: enc('x'), value: enc('y') }),
      () => wal.appendBatch([{ op: 'delete', key: enc('x') }]),
      () => wal.truncateBefore(1),
    ]) {
      const err = await write().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ReadOnlyError)
      expect(err).toMatchObject({ code: 'READ_ONLY' })
    }
    await wal.close()
    expect(await listing(dir)).toEqual(before)
  })

  it('a missing log is NOT_FOUND and nothing is created', async () => {
    const root = await tempDir()
    await expect(Wal.open(join(root, 'nope'), { readOnly: true })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(root)).toEqual([])
  })

  it('opens next to a live writer (no LOCKED) and sees what was acknowledged before it opened', async () => {
    const dir = join(await tempDir(), 'wal')
    const writer = await Wal.open(dir)
    try {
      await writer.appendBatch([1, 2, 3].map((i) => ({ op: 'put' as const, key: enc(`k${i}`), value: enc(`v${i}`) })))
      const reader = await Wal.open(dir, { readOnly: true })
      await writer.append({ op: 'put', key: enc('k4'), value: enc('v4') })
      expect(reader.lastSeq).toBe(3)
      expect((await collect(reader)).map((e) => e.seq)).toEqual([1, 2, 3])
      await reader.close()
      // The writer is untouched by the reader's open and close.
      await writer.append({ op: 'put', key: enc('k5'), value: enc('v5') })
      expect(writer.lastSeq).toBe(5)
    } finally {
      await writer.close()
    }
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

  it('works on a read-only copy (chmod 555) as a user who cannot write it; a writable open there is READ_ONLY', async () => {
    const dir = join(await tempDir(), 'wal')
    await logWith(dir, 4)
    const copy = await readOnlyCopy(dir)
    try {
      const before = await listing(copy.path)
      const reader = fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url))
      const run = await runUnprivileged(reader, [copy.path], fileURLToPath(new URL('..', import.meta.url)))
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout)).toEqual({ lastSeq: 4, entries: 4, append: 'READ_ONLY', writable: 'READ_ONLY' })
      expect(await listing(copy.path)).toEqual(before)
    } finally {
      await copy.dispose()
    }
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

  it('a path under a plain file is a PathKindError naming the file, not a raw ENOTDIR', async () => {
    const root = await tempDir()
    const plainFile = join(root, 'plain-file.txt')
    await writeFile(plainFile, 'hello\n')
    const err = await Wal.open(join(plainFile, 'wal')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PathKindError)
    expect(err).toMatchObject({ code: 'ENOTDIR', blockedBy: plainFile })
    expect((err as Error).message).toContain(`but ${plainFile} is a file`)
  })
})
