import { readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { openModeSuite, useTempDirs } from '@quire/test-kit'
import { NdjsonLog, NotNdjsonLogError } from '@quire/ndjson-log'
import { LOG } from './helpers.js'

const tempDir = useTempDirs('quire-ndjson-open-')

async function logWith(path: string, n: number): Promise<void> {
  const log = await NdjsonLog.open(path)
  for (let i = 1; i <= n; i++) await log.append({ i })
  await log.close()
}

async function records(log: NdjsonLog): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const e of log.read()) out.push({ seq: e.seq, record: e.record })
  return out
}

// A writer with sync 'always' ends its file with a free-space line: the live-writer case reads past it.
openModeSuite<NdjsonLog>({
  name: 'NdjsonLog',
  location: (root) => join(root, 'ledger.ndjson'),
  makeEmpty: (path) => writeFile(path, ''),
  // A file store: the foreign case is a folder of other files where the log would be (a file that
  // is not a log is NotNdjsonLogError, tested below).
  makeForeign: (path) => writeFile(join(dirname(path), 'notes.txt'), 'not a log\n'),
  open: (path, mode) => NdjsonLog.open(path, mode),
  close: (log) => log.close(),
  fill: (path) => logWith(path, 4),
  write: (log, i) => log.append({ i }),
  read: async (log) => ({ lastSeq: log.lastSeq, records: await records(log) }),
  readOnlyWrites: (log) => [() => log.append({ x: 1 }), () => log.appendBatch([{ x: 1 }]), () => log.sync()],
  unprivileged: {
    reader: fileURLToPath(new URL('./fixtures/read-only-reader.ts', import.meta.url)),
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    expected: { lastSeq: 4, records: 4, append: 'READ_ONLY', writable: 'READ_ONLY' },
  },
})

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

describe('readOnly', () => {
  it('reports readOnly; a reader next to a live writer leaves only the log file (no lock directory)', async () => {
    const dir = await tempDir()
    const path = join(dir, 'ledger.ndjson')
    const writer = await NdjsonLog.open(path)
    try {
      await writer.append({ a: 1 })
      const reader = await NdjsonLog.open(path, { readOnly: true })
      expect(reader.readOnly).toBe(true)
      await reader.close()
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
})
