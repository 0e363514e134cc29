import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { jsonCodec } from '@quire/codec'
import { SimFileSystem } from '@quire/vfs/sim'
import {
  ClosedError,
  InvalidArgumentError,
  InvalidRecordError,
  NdjsonLog,
  type LogRecord,
} from '@quire/ndjson-log'
import { isValidNdjson, LOG, readAll, recTexts, text } from './helpers.js'

describe('NdjsonLog basics', () => {
  it('appends, batches, reads back, and reopens with the same lastSeq', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs })
    expect(log.lastSeq).toBe(0)
    const a = await log.append({ type: 'Opened', id: 'A' })
    expect(a).toEqual({ seq: 1, record: { type: 'Opened', id: 'A' } })
    const b = await log.appendBatch([{ n: 1 }, { n: 2 }, { n: 3 }])
    expect(b.map((e) => e.seq)).toEqual([2, 3, 4])
    expect(log.lastSeq).toBe(4)
    const seen: unknown[] = []
    for await (const e of log.read({ fromSeq: 3 })) seen.push(e)
    expect(seen).toEqual([
      { seq: 3, record: { n: 2 } },
      { seq: 4, record: { n: 3 } },
    ])
    await log.close()
    const again = await NdjsonLog.open(LOG, { fs })
    expect(again.lastSeq).toBe(4)
    expect((await again.append({ after: true })).seq).toBe(5)
    await again.close()
    expect((await readAll(fs)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(isValidNdjson(await text(fs))).toBe(true)
  })

  it('writes the documented layout: header, seq, batch [i,n], rec, crc over the bytes before the suffix', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs })
    await log.append({ a: 1 })
    await log.appendBatch([{ b: 'é' }, { c: [true, null] }])
    await log.close()
    const lines = (await text(fs)).split('\n')
    expect(lines.pop()).toBe('')
    expect(lines[0]).toMatch(/^\{"format":"quire-ndjson-log","version":1,"startSeq":1,"crc":"[0-9a-f]{8}"\}$/)
    expect(lines[1]).toMatch(/^\{"seq":1,"rec":\{"a":1\},"crc":"[0-9a-f]{8}"\}$/)
    expect(lines[2]).toMatch(/^\{"seq":2,"batch":\[1,2\],"rec":\{"b":"é"\},"crc":"[0-9a-f]{8}"\}$/)
    expect(lines[3]).toMatch(/^\{"seq":3,"batch":\[2,2\],"rec":\{"c":\[true,null\]\},"crc":"[0-9a-f]{8}"\}$/)
    const { crc32 } = await import('node:zlib')
    for (const line of lines) {
      const bytes = Buffer.from(line, 'utf8')
      const body = bytes.subarray(0, bytes.length - 18)
      expect(bytes.subarray(bytes.length - 18, bytes.length - 10).toString()).toBe(',"crc":"')
      expect(parseInt(bytes.subarray(bytes.length - 10, bytes.length - 2).toString(), 16)).toBe(crc32(body))
      // every line is plain JSON
      expect(typeof JSON.parse(line)).toBe('object')
    }
  })

  it('keeps the file valid NDJSON while open, with free space preallocated after the data', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: 700 })
    for (let round = 0; round < 12; round++) {
      await Promise.all(Array.from({ length: 1 + (round % 4) }, (_, i) => log.append({ round, i, pad: 'x'.repeat(30 * round) })))
      const content = await text(fs)
      expect(isValidNdjson(content)).toBe(true)
      const lines = content.trimEnd().split('\n').map((l) => JSON.parse(l) as { rec?: unknown; pad?: string })
      expect(lines.filter((l) => l.rec).length).toBe(log.lastSeq)
      // The free space is the last line, and only there.
      expect(lines.slice(0, -1).some((l) => l.pad !== undefined)).toBe(false)
      expect(lines[lines.length - 1]!.pad).toMatch(/^ *$/)
    }
    await log.close()
    // close() trims it.
    expect(await text(fs)).not.toMatch(/^\{"pad":/m)
  })

  it('keeps Dates with millisecond fidelity through the {"$date": ISO} rule', async () => {
    const fs = new SimFileSystem()
    const at = new Date(Date.UTC(2026, 4, 29, 11, 15, 0, 123))
    const log = await NdjsonLog.open(LOG, { fs })
    await log.append({ type: 'T', at, nested: { when: [at] } })
    await log.close()
    expect(await text(fs)).toContain('"at":{"$date":"2026-05-29T11:15:00.123Z"}')
    const [entry] = await readAll(fs)
    expect(entry!.record).toEqual({ type: 'T', at, nested: { when: [at] } })
    expect((entry!.record.at as Date).getTime()).toBe(at.getTime())
  })

  it('stores a record byte-identical to jsonCodec.stringify of it', async () => {
    const fs = new SimFileSystem()
    const record = { s: 'line\nbreak "quoted" \u2028 ✓ 😀', n: -0.5, big: 1e300, arr: [[], {}], nul: null }
    const log = await NdjsonLog.open(LOG, { fs })
    await log.append(record)
    await log.close()
    const content = await text(fs)
    expect(content.split('\n')).toHaveLength(3)
    expect(recTexts(content).get(1)).toBe(jsonCodec.stringify(record))
    expect((await readAll(fs))[0]!.record).toEqual(record)
  })

  it('rejects bad records with INVALID_RECORD naming the path, and writes nothing', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open<LogRecord>(LOG, { fs, maxRecordBytes: 100 })
    const before = await text(fs)
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = { back: cyclic }
    const cases: [unknown, string][] = [
      [{ data: { items: [1, 2, 3, { when: undefined }] } }, 'record.data.items[3].when'],
      [{ x: 10n }, 'record.x'],
      [{ x: Number.NaN }, 'record.x'],
      [{ x: Infinity }, 'record.x'],
      [{ x: new Date(Number.NaN) }, 'record.x'],
      [{ f: () => 1 }, 'record.f'],
      [{ m: new Map() }, 'record.m'],
      [cyclic, 'record.self.back'],
      [{ ['odd key']: [Symbol('s')] }, 'record["odd key"][0]'],
      [[1, 2], 'record'],
      [null, 'record'],
      ['text', 'record'],
      [new Date(), 'record'],
      [{ big: 'x'.repeat(200) }, 'record'],
    ]
    for (const [value, path] of cases) {
      const err = await log.append(value as LogRecord).catch((e: unknown) => e)
      expect(err, path).toBeInstanceOf(InvalidRecordError)
      expect((err as InvalidRecordError).code).toBe('INVALID_RECORD')
      expect((err as InvalidRecordError).path).toBe(path)
    }
    // A batch with one bad record writes none of them.
    const err = await log.appendBatch([{ ok: 1 }, { ok: 2 }, { bad: undefined }]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidRecordError)
    expect((err as InvalidRecordError).path).toBe('records[2].bad')
    expect(log.lastSeq).toBe(0)
    expect(await text(fs)).toBe(before)
    await log.close()
  })

  it('rejects bad options and arguments with INVALID_ARGUMENT', async () => {
    const fs = new SimFileSystem()
    await expect(NdjsonLog.open(LOG, { fs, maxRecordBytes: 0 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(NdjsonLog.open(LOG, { fs, maxFileBytes: 10 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(NdjsonLog.open(LOG, { fs, sync: 'sometimes' as 'none' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(NdjsonLog.open('/db/x.000001.ndjson', { fs })).rejects.toBeInstanceOf(InvalidArgumentError)
    const log = await NdjsonLog.open(LOG, { fs, maxBatchRecords: 2 })
    await expect(log.appendBatch([{}, {}, {}])).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(log.read({ fromSeq: 0 }).next()).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(await log.appendBatch([])).toEqual([])
    await log.close()
  })

  it('is closed after close(): CLOSED for writes and reads; close is idempotent; await using closes', async () => {
    const fs = new SimFileSystem()
    {
      await using log = await NdjsonLog.open(LOG, { fs })
      await log.append({ a: 1 })
    }
    const log = await NdjsonLog.open(LOG, { fs })
    const pending = log.append({ queued: true })
    const closing = log.close()
    await expect(pending).resolves.toMatchObject({ seq: 2 })
    await closing
    await log.close()
    await expect(log.append({ a: 2 })).rejects.toBeInstanceOf(ClosedError)
    await expect(log.appendBatch([{ a: 2 }])).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(log.read().next()).rejects.toMatchObject({ code: 'CLOSED' })
    expect((await readAll(fs)).length).toBe(2)
  })

  it('gives a second writer LOCKED until the first closes', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs })
    await expect(NdjsonLog.open(LOG, { fs })).rejects.toMatchObject({ code: 'LOCKED' })
    // Another log in the same directory is independent.
    const other = await NdjsonLog.open('/db/audit.ndjson', { fs })
    await other.close()
    await log.close()
    const again = await NdjsonLog.open(LOG, { fs })
    await again.close()
  })

  it('numbers concurrent appends in call order and acknowledges each with its own seq', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs })
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? log.appendBatch([{ i, part: 1 }, { i, part: 2 }]) : log.append({ i }))),
    )
    const seqs = results.flatMap((r) => (Array.isArray(r) ? r.map((e) => e.seq) : [r.seq]))
    expect(seqs).toEqual(Array.from({ length: 110 }, (_, i) => i + 1))
    await log.close()
    const read = await readAll(fs)
    expect(read.map((e) => e.record.i)).toEqual(results.flatMap((r) => (Array.isArray(r) ? r.map((e) => e.record.i) : [r.record.i])))
  })

  it('reads a consistent snapshot while appends and rotations go on', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, maxFileBytes: 400, preallocateBytes: 200 })
    for (let i = 1; i <= 10; i++) await log.append({ i, pad: 'r'.repeat(40) })
    const seen: number[] = []
    for await (const { seq, record } of log.read({ fromSeq: 3 })) {
      expect(record.i).toBe(seq)
      seen.push(seq)
      // Rotations happen while the reader is in the middle of the files.
      await Promise.all([log.append({ i: log.lastSeq + 1, pad: 'w'.repeat(40) }), log.append({ i: log.lastSeq + 2, pad: 'w'.repeat(40) })])
    }
    expect(seen).toEqual([3, 4, 5, 6, 7, 8, 9, 10])
    expect(log.lastSeq).toBe(26)
    expect((await fs.readdir('/db')).filter((n) => /^events\.\d{6}\.ndjson$/.test(n)).length).toBeGreaterThan(5)
    // Breaking out early closes what the reader opened, and a later read sees everything.
    for await (const _ of log.read()) break
    let count = 0
    for await (const _ of log.read()) count++
    expect(count).toBe(26)
    await log.close()
  })

  it('works on the real file system, and jq reads it with the FORMAT.md recipes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ndjson-log-'))
    try {
      const path = join(dir, 'events.ndjson')
      const log = await NdjsonLog.open(path)
      await log.append({ type: 'Deposited', amount: 100 })
      await log.appendBatch([
        { type: 'Debited', account: 'A', amount: 50 },
        { type: 'Credited', account: 'B', amount: 50 },
      ])
      await log.close()
      const content = await readFile(path, 'utf8')
      expect(isValidNdjson(content)).toBe(true)
      const { spawnSync } = await import('node:child_process')
      const jq = spawnSync('jq', ['-c', 'select(.rec) | .rec', path], { encoding: 'utf8' })
      if (jq.error === undefined) {
        expect(jq.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
          { type: 'Deposited', amount: 100 },
          { type: 'Debited', account: 'A', amount: 50 },
          { type: 'Credited', account: 'B', amount: 50 },
        ])
      } else {
        // No jq here: check the same selection jq would make.
        const recs = content.trim().split('\n').map((l) => JSON.parse(l) as { rec?: unknown }).filter((l) => l.rec)
        expect(recs).toHaveLength(3)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
