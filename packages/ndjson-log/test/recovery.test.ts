import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import {
  NdjsonCorruptError,
  NdjsonLog,
  UnsupportedVersionError,
  type NdjsonLogOptions,
} from '@quire/ndjson-log'
import { isValidNdjson, LOG, SMALL_PAD, readAll, text } from './helpers.js'

/** A closed log of: seq 1 single, seqs 2-4 a batch, seq 5 single. Lines 1 (header) to 6. */
async function sample(opts: NdjsonLogOptions = {}): Promise<SimFileSystem> {
  const fs = new SimFileSystem()
  const log = await NdjsonLog.open(LOG, { preallocateBytes: SMALL_PAD, ...opts, fs })
  await log.append({ n: 1, type: 'Deposited', amount: 50 })
  await log.appendBatch([{ n: 2 }, { n: 3 }, { n: 4 }])
  await log.append({ n: 5 })
  await log.close()
  return fs
}

/** Byte offset of the start of 1-based line `line`. */
function lineOffset(content: string, line: number): number {
  let offset = 0
  for (let i = 1; i < line; i++) offset = content.indexOf('\n', offset) + 1
  return Buffer.byteLength(content.slice(0, offset))
}

async function appendRaw(fs: SimFileSystem, bytes: Uint8Array | string): Promise<void> {
  const handle = await fs.open(LOG, 'a')
  await handle.write(typeof bytes === 'string' ? Buffer.from(bytes) : bytes)
  await handle.sync()
  await handle.close()
}

async function openAndCheckTornCut(fs: SimFileSystem, expectedSeqs: number[]): Promise<void> {
  const before = await text(fs)
  const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
  expect(log.lastSeq).toBe(expectedSeqs.length === 0 ? 0 : expectedSeqs[expectedSeqs.length - 1])
  expect(log.recovery.truncatedBytes).toBeGreaterThan(0)
  expect(log.recovery.truncatedBytes).toBe(Buffer.byteLength(before) - Buffer.byteLength(await text(fs)))
  await log.close()
  const content = await text(fs)
  expect(isValidNdjson(content)).toBe(true)
  expect((await readAll(fs)).map((e) => e.seq)).toEqual(expectedSeqs)
  // Idempotent: a second open finds nothing to do.
  const again = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
  expect(again.recovery.truncatedBytes).toBe(0)
  await again.close()
  expect(await text(fs)).toBe(content)
}

describe('recovery of a torn tail', () => {
  it('cuts a last line without its newline', async () => {
    const fs = await sample()
    await appendRaw(fs, '{"seq":6,"rec":{"n":6},"crc":"0000')
    await openAndCheckTornCut(fs, [1, 2, 3, 4, 5])
  })

  it('cuts zeros and garbage an unsynced append left', async () => {
    const fs = await sample()
    await appendRaw(fs, new Uint8Array(700))
    await openAndCheckTornCut(fs, [1, 2, 3, 4, 5])
    const fs2 = await sample()
    await appendRaw(fs2, Buffer.from('\u0007garbage\n\u0000\u00ff\nmore}\n'))
    await openAndCheckTornCut(fs2, [1, 2, 3, 4, 5])
  })

  it('cuts a complete last line whose checksum is wrong', async () => {
    const fs = await sample()
    await appendRaw(fs, '{"seq":6,"rec":{"n":6},"crc":"00000000"}\n')
    await openAndCheckTornCut(fs, [1, 2, 3, 4, 5])
  })

  it('cuts an uncommitted batch at the end (its [n,n] line missing): all of it, not a part', async () => {
    const fs = await sample()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    await log.appendBatch([{ n: 6 }, { n: 7 }, { n: 8 }])
    await log.close()
    const content = await text(fs)
    const cut = lineOffset(content, 9) // drop the [3,3] line
    const handle = await fs.open(LOG, 'r+')
    await handle.truncate(cut)
    await handle.sync()
    await handle.close()
    expect(await text(fs)).toContain('"batch":[2,3]')
    await openAndCheckTornCut(fs, [1, 2, 3, 4, 5])
    expect(await text(fs)).not.toContain('"n":6')
  })

  it('releases the free space a writer that did not close left, without calling it torn', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: 300 })
    await log.append({ n: 1 })
    // no close: as after a kill
    const image = fs.clone()
    const again = await NdjsonLog.open(LOG, { fs: image })
    expect(again.recovery.truncatedBytes).toBe(0)
    expect(again.recovery.releasedBytes).toBe(300)
    expect(again.lastSeq).toBe(1)
    await again.close()
    expect(await text(image)).not.toMatch(/^\{"pad":/m)
  })

  it('treats a missing or empty active file as a new log', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir('/db')
    await fs.writeFile(LOG, new Uint8Array(0))
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    expect(log.lastSeq).toBe(0)
    expect(log.recovery.createdActiveFile).toBe(true)
    await log.append({ a: 1 })
    await log.close()
    expect((await readAll(fs)).map((e) => e.seq)).toEqual([1])
  })

  it('removes temp files an interrupted atomic write left', async () => {
    const fs = await sample()
    await fs.writeFile('/db/events.ndjson.0123456789ab.tmp', Buffer.from('x'))
    await fs.writeFile('/db/other.0123456789ab.tmp', Buffer.from('x'))
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    await log.close()
    // The lock directory goes with a clean close too.
    expect(await fs.readdir('/db')).toEqual(['events.ndjson', 'other.0123456789ab.tmp'])
  })
})

describe('damage in the middle', () => {
  /** Flips one bit in the amount of line 2 (`"amount":50` → `"amount":51`): still valid JSON. */
  async function flipped(): Promise<SimFileSystem> {
    const fs = await sample()
    const content = await text(fs)
    const at = Buffer.from(content).indexOf('"amount":50') + '"amount":5'.length
    fs.corruptByte(LOG, at, 0x01)
    const damaged = (await text(fs)).split('\n')[1]!
    expect(damaged).toContain('"amount":51')
    expect(() => JSON.parse(damaged) as unknown).not.toThrow()
    return fs
  }

  it("'strict' (default) refuses to open, naming the file and the line; the file is untouched", async () => {
    const fs = await flipped()
    const before = await text(fs)
    const err = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NdjsonCorruptError)
    expect(err).toMatchObject({ code: 'CORRUPT', file: LOG, line: 2 })
    expect(await text(fs)).toBe(before)
    // and the lock was released: a second try fails the same way, not with LOCKED
    await expect(NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })).rejects.toMatchObject({ code: 'CORRUPT' })
  })

  it('detects damage in a batch line and names it', async () => {
    const fs = await sample()
    const content = await text(fs)
    fs.corruptByte(LOG, Buffer.from(content).indexOf('"n":3') + 4, 0x02)
    await expect(NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })).rejects.toMatchObject({ code: 'CORRUPT', line: 4 })
  })

  it("'point-in-time' keeps what precedes the damaged transaction and cuts the file there", async () => {
    const fs = await sample()
    const content = await text(fs)
    fs.corruptByte(LOG, Buffer.from(content).indexOf('"n":3') + 4, 0x02) // inside the batch 2-4
    const log = await NdjsonLog.open(LOG, { fs, recovery: 'point-in-time' })
    expect(log.lastSeq).toBe(1)
    expect(log.recovery.cutAt).toMatchObject({ file: LOG, line: 4 })
    expect((await log.append({ n: 'new' })).seq).toBe(2)
    await log.close()
    expect((await readAll(fs)).map((e) => e.record.n)).toEqual([1, 'new'])
    expect(isValidNdjson(await text(fs))).toBe(true)
  })

  it("'skip-corrupt' skips the damaged line's whole batch, reports it, and reads the rest", async () => {
    const fs = await sample()
    const content = await text(fs)
    fs.corruptByte(LOG, Buffer.from(content).indexOf('"n":3') + 4, 0x02)
    const before = await text(fs)
    const log = await NdjsonLog.open(LOG, { fs, recovery: 'skip-corrupt' })
    expect(log.lastSeq).toBe(5)
    expect(log.recovery.skipped.map((s) => s.line)).toEqual([3, 4, 5])
    expect(await text(fs)).toBe(before)
    expect((await log.append({ n: 6 })).seq).toBe(6)
    const seen: unknown[] = []
    for await (const e of log.read()) seen.push(e.record.n)
    expect(seen).toEqual([1, 5, 6])
    await log.close()
    // Stable across reopens.
    expect((await readAll(fs, { recovery: 'skip-corrupt' })).map((e) => e.seq)).toEqual([1, 5, 6])
    // The default mode still refuses it.
    await expect(NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })).rejects.toBeInstanceOf(NdjsonCorruptError)
  })

  it('refuses a file without the header, and a header of another version', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir('/db')
    await fs.writeFile(LOG, Buffer.from('{"id":1,"type":"Deposited"}\n'))
    // Not this library's file at all: refused as such, not called damaged.
    await expect(NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })).rejects.toMatchObject({ code: 'NOT_NDJSON_LOG', file: LOG })
    const fs2 = await sample()
    const content = await text(fs2)
    const { crc32 } = await import('node:zlib')
    const body = '{"format":"quire-ndjson-log","version":2,"startSeq":1'
    const header = `${body},"crc":"${crc32(Buffer.from(body)).toString(16).padStart(8, '0')}"}`
    await fs2.writeFile(LOG, Buffer.from(header + content.slice(content.indexOf('\n'))))
    await expect(NdjsonLog.open(LOG, { fs: fs2 })).rejects.toBeInstanceOf(UnsupportedVersionError)
  })

  it('finds a damaged line in a sealed archive when reading (skipped under skip-corrupt)', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, maxFileBytes: 300 })
    for (let i = 1; i <= 12; i++) await log.append({ i, pad: 'x'.repeat(40) })
    await log.close()
    const names = await fs.readdir('/db')
    expect(names).toContain('events.000001.ndjson')
    const archive = '/db/events.000001.ndjson'
    const content = Buffer.from(await fs.readFile(archive)).toString()
    fs.corruptByte(archive, Buffer.from(content).indexOf('"i":1') + 4, 0x04)
    const strict = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    const err = await (async () => {
      for await (const _ of strict.read()) void _
    })().catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'CORRUPT', file: archive, line: 2 })
    // Reading from a later seq does not even open the damaged archive.
    const later: number[] = []
    for await (const e of strict.read({ fromSeq: 10 })) later.push(e.seq)
    expect(later).toEqual([10, 11, 12])
    await strict.close()
    const skipping = await readAll(fs, { recovery: 'skip-corrupt' })
    expect(skipping.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
  })
})
