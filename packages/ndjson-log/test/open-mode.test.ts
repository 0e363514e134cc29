import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { readOnlyCopy, runUnprivileged } from '@quire/test-kit'
import { NdjsonLog, NotNdjsonLogError, PathKindError, ReadOnlyError, StoreExistsError, StoreNotFoundError } from '@quire/ndjson-log'
import { LOG } from './helpers.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quire-ndjson-open-'))
  dirs.push(d)
  return d
}

/** Names and sizes of everything under `dir`. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(dir, { recursive: true })).sort()) out.push(`${name}:${(await stat(join(dir, name))).size}`)
  return out
}

async function logWith(path: string, n: number): Promise<void> {
  const log = await NdjsonLog.open(path)
  for (let i = 1; i <= n; i++) await log.append({ i })
  await log.close()
}

async function seqs(log: NdjsonLog): Promise<number[]> {
  const out: number[] = []
  for await (const e of log.read()) out.push(e.seq)
  return out
}

describe('a clean close', () => {
  it('leaves only the log file: no lock directory', async () => {
    const dir = await tempDir()
    await logWith(join(dir, 'ledger.ndjson'), 2)
    expect(await readdir(dir)).toEqual(['ledger.ndjson'])
  })
})

describe('a file that is not a log', () => {
  it('an ordinary text file is NOT_NDJSON_LOG, not CORRUPT; it and its directory are left as they were', async () => {
    const dir = await tempDir()
    const plain = join(dir, 'plain-file.txt')
    await writeFile(plain, 'hello\nworld\n')
    for (const opts of [{}, { readOnly: true }, { recovery: 'point-in-time' as const }]) {
      const err = await NdjsonLog.open(plain, opts).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(NotNdjsonLogError)
      expect(err).toMatchObject({ code: 'NOT_NDJSON_LOG', file: plain })
      expect(await readdir(dir)).toEqual(['plain-file.txt'])
      expect(await readFile(plain, 'utf8')).toBe('hello\nworld\n')
    }
  })

  it('a JSON-lines file of another program is refused the same way', async () => {
    const dir = await tempDir()
    const other = join(dir, 'other.ndjson')
    await writeFile(other, '{"level":"info","msg":"hi"}\n')
    await expect(NdjsonLog.open(other)).rejects.toMatchObject({ code: 'NOT_NDJSON_LOG' })
    expect(await readdir(dir)).toEqual(['other.ndjson'])
  })
})

describe('createIfMissing and errorIfExists', () => {
  it('createIfMissing: false refuses a missing or empty file with NOT_FOUND and creates nothing', async () => {
    const dir = await tempDir()
    const missing = join(dir, 'typo', 'ledger.ndjson')
    const err = await NdjsonLog.open(missing, { createIfMissing: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreNotFoundError)
    expect(err).toMatchObject({ code: 'NOT_FOUND', path: missing })
    await writeFile(join(dir, 'empty.ndjson'), '')
    await expect(NdjsonLog.open(join(dir, 'empty.ndjson'), { createIfMissing: false })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(dir)).toEqual(['empty.ndjson'])
    await logWith(join(dir, 'ledger.ndjson'), 1)
    const log = await NdjsonLog.open(join(dir, 'ledger.ndjson'), { createIfMissing: false })
    expect(log.lastSeq).toBe(1)
    await log.close()
  })

  it('errorIfExists: true creates a new log and refuses an existing one with EXISTS, changing nothing', async () => {
    const dir = await tempDir()
    const path = join(dir, 'ledger.ndjson')
    await logWith(path, 0)
    const before = await listing(dir)
    const err = await NdjsonLog.open(path, { errorIfExists: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreExistsError)
    expect(await listing(dir)).toEqual(before)
    const fresh = await NdjsonLog.open(join(dir, 'new.ndjson'), { errorIfExists: true })
    await fresh.close()
  })
})

describe('readOnly', () => {
  it('reads a closed log without a lock directory or any change; writes are READ_ONLY', async () => {
    const dir = await tempDir()
    const path = join(dir, 'ledger.ndjson')
    await logWith(path, 3)
    const before = await listing(dir)
    const log = await NdjsonLog.open(path, { readOnly: true })
    expect(log.readOnly).toBe(true)
    expect(await seqs(log)).toEqual([1, 2, 3])
    expect(await listing(dir)).toEqual(before)
    for (const write of [() => log.append({ x: 1 }), () => log.appendBatch([{ x: 1 }]), () => log.sync()]) {
      const err = await write().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ReadOnlyError)
      expect(err).toMatchObject({ code: 'READ_ONLY' })
    }
    await log.close()
    expect(await listing(dir)).toEqual(before)
  })

  it('a missing log is NOT_FOUND and nothing is created', async () => {
    const dir = await tempDir()
    await expect(NdjsonLog.open(join(dir, 'nope.ndjson'), { readOnly: true })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await readdir(dir)).toEqual([])
  })

  it('opens next to a live writer (its free-space line read past) and sees what was acknowledged before', async () => {
    const dir = await tempDir()
    const path = join(dir, 'ledger.ndjson')
    const writer = await NdjsonLog.open(path) // sync 'always': the file ends with a free-space line
    try {
      await writer.appendBatch([{ a: 1 }, { a: 2 }])
      const reader = await NdjsonLog.open(path, { readOnly: true })
      await writer.append({ a: 3 })
      expect(reader.lastSeq).toBe(2)
      expect(await seqs(reader)).toEqual([1, 2])
      await reader.close()
      await writer.append({ a: 4 })
      expect(writer.lastSeq).toBe(4)
    } finally {
      await writer.close()
    }
    expect(await readdir(dir)).toEqual(['ledger.ndjson'])
  })

  it('reads past a torn tail in memory and writes nothing; a writable open cuts it afterwards', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: 0 })
    await log.append({ a: 1 })
    await log.close()
    const h = await fs.open(LOG, 'a')
    await h.write(new TextEncoder().encode('{"seq":2,"rec":{"a":')) // a line a crash tore
    await h.close()
    const before = fs.dump()
    const ro = await NdjsonLog.open(LOG, { fs, readOnly: true })
    expect(ro.lastSeq).toBe(1)
    expect(ro.recovery).toMatchObject({ readOnly: true, truncatedBytes: 20, quarantined: [] })
    await ro.close()
    expect(fs.dump()).toEqual(before)
    const rw = await NdjsonLog.open(LOG, { fs })
    expect(rw.recovery).toMatchObject({ readOnly: false, truncatedBytes: 20 })
    expect(rw.recovery.quarantined).toHaveLength(1)
    await rw.close()
  })

  it('works on a read-only copy (chmod 555) as a user who cannot write it; a writable open there is READ_ONLY', async () => {
    const dir = await tempDir()
    await logWith(join(dir, 'ledger.ndjson'), 4)
    const copy = await readOnlyCopy(dir)
    try {
      const before = await listing(copy.path)
      const reader = fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url))
      const run = await runUnprivileged(reader, [join(copy.path, 'ledger.ndjson')], fileURLToPath(new URL('..', import.meta.url)))
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout)).toEqual({ lastSeq: 4, records: 4, append: 'READ_ONLY', writable: 'READ_ONLY' })
      expect(await listing(copy.path)).toEqual(before)
    } finally {
      await copy.dispose()
    }
  })
})

describe('options and paths', () => {
  it('an unknown option key is INVALID_ARGUMENT naming it, before anything is created', async () => {
    const dir = await tempDir()
    await expect(NdjsonLog.open(join(dir, 'l.ndjson'), { synk: 'none' } as never)).rejects.toThrow('NdjsonLog.open: unknown option "synk"')
    expect(await readdir(dir)).toEqual([])
    await logWith(join(dir, 'l.ndjson'), 1)
    const log = await NdjsonLog.open(join(dir, 'l.ndjson'))
    await expect(log.read({ form: 1 } as never).next()).rejects.toThrow('NdjsonLog.read: unknown option "form"')
    await log.close()
  })

  it('a path under a plain file is a PathKindError naming the file', async () => {
    const dir = await tempDir()
    const plain = join(dir, 'plain-file.txt')
    await writeFile(plain, 'x')
    const err = await NdjsonLog.open(join(plain, 'sub', 'l.ndjson')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PathKindError)
    expect(err).toMatchObject({ code: 'ENOTDIR', blockedBy: plain })
    await mkdir(join(dir, 'ok'))
  })
})
