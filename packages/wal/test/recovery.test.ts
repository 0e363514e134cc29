import { encodeFrame, scanFrames } from '@quire/codec'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal, WalCorruptError } from '../src/index.js'
import { DIR, collect, enc, plain, readAll } from './helpers.js'

const put = (k: string, n = 40) => ({ op: 'put' as const, key: enc(k), value: enc('v'.repeat(n)) })
const segments = async (fs: SimFileSystem): Promise<string[]> => (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal'))

/** A log of `count` single appends over several 1 KiB segments. */
async function buildLog(count: number): Promise<SimFileSystem> {
  const fs = new SimFileSystem()
  const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
  for (let i = 1; i <= count; i++) await wal.append(put(`k${i}`))
  await wal.close()
  return fs
}

/** Offsets of the frames of a segment. */
async function frameOffsets(fs: SimFileSystem, name: string): Promise<number[]> {
  return scanFrames(await fs.readFile(`${DIR}/${name}`), { offset: 24 }).frames.map((f) => f.offset)
}

describe('records the framing accepts but the log refuses', () => {
  it('a CRC-valid record whose seq skips ahead: strict open fails with CORRUPT at its offset', async () => {
    const fs = await buildLog(3)
    const [name] = await segments(fs)
    const bytes = (await fs.readFile(`${DIR}/${name!}`)).slice()
    const second = scanFrames(bytes, { offset: 24 }).frames[1]!
    const payload = second.payload.slice()
    // A PUT record: [type][flags][u64 seq]...; seq 2 becomes 9, the frame's CRC made good again.
    expect(payload[2]).toBe(2)
    payload[2] = 9
    bytes.set(encodeFrame(payload), second.offset)
    await fs.writeFile(`${DIR}/${name!}`, bytes)
    const err = await Wal.open(DIR, { fs, segmentBytes: 1024 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WalCorruptError)
    expect(err).toMatchObject({ code: 'CORRUPT', offset: second.offset })
  })
})

describe('on-disk format', () => {
  it('segments are a 24-byte header then one codec frame per record', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, now: () => 0x0102030405 })
    await wal.append({ op: 'put', key: enc('k'), value: enc('val') })
    await wal.appendBatch([{ op: 'delete', key: enc('x') }, put('y', 1)])
    await wal.close()
    const bytes = await fs.readFile(`${DIR}/00000000000000000001.wal`)
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('QUIREWAL')
    expect(bytes[8]).toBe(1) // format version
    const scan = scanFrames(bytes, { offset: 24 })
    expect(scan.status).toBe('clean')
    expect(scan.frames.length).toBe(4) // put, delete, put, COMMIT
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
    // The PUT record, byte for byte (FORMAT.md).
    expect(hex(scan.frames[0]!.payload)).toBe(
      '01' + '00' + '0100000000000000' + '0504030201000000' + '01000000' + hex(enc('k')) + '03000000' + hex(enc('val')),
    )
    expect(hex(bytes.subarray(24, 24 + 8 + scan.frames[0]!.payload.length))).toBe(hex(encodeFrame(scan.frames[0]!.payload)))
    expect(hex(scan.frames[1]!.payload)).toBe('02' + '01' + '0200000000000000' + '0504030201000000' + '01000000' + hex(enc('x')))
    expect(hex(scan.frames[3]!.payload)).toBe('03' + '00' + '0200000000000000' + '02000000')
  })
})

describe('recovery', () => {
  it('cuts a torn tail durably and reports it', async () => {
    const fs = await buildLog(3)
    const path = `${DIR}/00000000000000000001.wal`
    const size = (await fs.stat(path)).size
    const h = await fs.open(path, 'r+')
    await h.write(new Uint8Array([200, 0, 0, 0, 1, 2, 3]), size) // a frame that never finished
    await h.close()
    const wal = await Wal.open(DIR, { fs })
    expect(wal.recoveryReport.actions).toEqual([
      expect.objectContaining({ segment: '00000000000000000001.wal', offset: size, bytes: 7, action: 'cut-torn-tail' }),
    ])
    expect((await fs.stat(path)).size).toBe(size)
    expect((await wal.append(put('k4'))).seq).toBe(4)
    await wal.close()
    expect((await readAll(fs)).entries.map((e) => e.key)).toEqual(['k1', 'k2', 'k3', 'k4'])
  })

  it('drops a trailing batch whose COMMIT is missing', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    await wal.append(put('a'))
    await wal.appendBatch([put('b'), put('c')])
    await wal.close()
    const path = `${DIR}/00000000000000000001.wal`
    const h = await fs.open(path, 'r+')
    await h.truncate((await h.size()) - 22) // remove the COMMIT frame
    await h.close()
    const again = await Wal.open(DIR, { fs })
    expect(again.recoveryReport.actions[0]).toMatchObject({ action: 'cut-torn-tail', reason: expect.stringContaining('COMMIT') as unknown })
    expect((await collect(again)).map((e) => plain(e).key)).toEqual(['a'])
    expect((await again.append(put('d'))).seq).toBe(2)
    await again.close()
  })

  it('removes a last segment whose creation a crash interrupted', async () => {
    const fs = await buildLog(3)
    await fs.writeFile(`${DIR}/00000000000000000004.wal`, new Uint8Array(10))
    const wal = await Wal.open(DIR, { fs })
    expect(wal.recoveryReport.actions[0]).toMatchObject({ action: 'removed-torn-segment', segment: '00000000000000000004.wal' })
    expect(await segments(fs)).toEqual(['00000000000000000001.wal'])
    expect((await wal.append(put('k4'))).seq).toBe(4)
    await wal.close()
  })

  describe('corruption in the middle of the log', () => {
    async function corruptMiddle(): Promise<{ fs: SimFileSystem; name: string; offset: number; firstLost: number }> {
      const fs = await buildLog(60)
      const names = await segments(fs)
      expect(names.length).toBeGreaterThan(3)
      const name = names[1]!
      const offsets = await frameOffsets(fs, name)
      const offset = offsets[2]!
      fs.corruptByte(`${DIR}/${name}`, offset + 20)
      const firstSeq = Number(name.slice(0, 20))
      return { fs, name, offset, firstLost: firstSeq + 2 }
    }

    it("strict (default): open fails with CORRUPT naming the segment and offset", async () => {
      const { fs, name, offset } = await corruptMiddle()
      const err: unknown = await Wal.open(DIR, { fs }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(WalCorruptError)
      expect(err).toMatchObject({ code: 'CORRUPT', segment: name, offset })
      // The lock was released: a second attempt fails the same way, not with LOCKED.
      await expect(Wal.open(DIR, { fs })).rejects.toBeInstanceOf(WalCorruptError)
    })

    it("point-in-time keeps everything before the corruption and drops the rest, durably", async () => {
      const { fs, name, offset, firstLost } = await corruptMiddle()
      const wal = await Wal.open(DIR, { fs, recovery: 'point-in-time' })
      expect(wal.lastSeq).toBe(firstLost - 1)
      expect(wal.recoveryReport.actions.map((a) => a.action)).toContain('cut-corrupt')
      expect(wal.recoveryReport.actions.find((a) => a.action === 'cut-corrupt')).toMatchObject({ segment: name, offset })
      expect((await collect(wal)).map((e) => e.seq)).toEqual(Array.from({ length: firstLost - 1 }, (_, i) => i + 1))
      expect((await wal.append(put('new'))).seq).toBe(firstLost)
      await wal.close()
      // The result is a clean log: strict opens it, also after a crash.
      expect((await readAll(fs.crash(5))).lastSeq).toBe(firstLost)
    })

    it('skip-corrupt skips the bad record, keeps the rest, and reports it', async () => {
      const { fs, name, offset, firstLost } = await corruptMiddle()
      const wal = await Wal.open(DIR, { fs, recovery: 'skip-corrupt' })
      expect(wal.recoveryReport.actions).toEqual([expect.objectContaining({ segment: name, offset, action: 'skipped-corrupt' })])
      const seqs = (await collect(wal)).map((e) => e.seq)
      expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1).filter((s) => s !== firstLost))
      expect((await wal.append(put('new'))).seq).toBe(61)
      await wal.close()
    })

    it('a damaged segment header in the middle is corruption too', async () => {
      const fs = await buildLog(60)
      const names = await segments(fs)
      fs.corruptByte(`${DIR}/${names[1]!}`, 3)
      await expect(Wal.open(DIR, { fs: fs.clone() })).rejects.toMatchObject({ code: 'CORRUPT', segment: names[1], offset: 0 })
      const pit = await Wal.open(DIR, { fs: fs.clone(), recovery: 'point-in-time' })
      expect(pit.lastSeq).toBe(Number(names[1]!.slice(0, 20)) - 1)
      await pit.close()
      const skip = await Wal.open(DIR, { fs: fs.clone(), recovery: 'skip-corrupt' })
      expect(skip.lastSeq).toBe(60)
      expect((await collect(skip)).length).toBe(60)
      await skip.close()
    })

    it('a missing segment in the middle is detected (seqs are contiguous)', async () => {
      const fs = await buildLog(60)
      const names = await segments(fs)
      await fs.unlink(`${DIR}/${names[2]!}`)
      await expect(Wal.open(DIR, { fs })).rejects.toMatchObject({ code: 'CORRUPT', segment: names[3], offset: 0 })
    })
  })

  it('a corrupt floor file is reported, never ignored', async () => {
    const fs = await buildLog(5)
    const wal = await Wal.open(DIR, { fs })
    await wal.truncateBefore(2)
    await wal.close()
    fs.corruptByte(`${DIR}/wal.floor`, 13)
    await expect(Wal.open(DIR, { fs })).rejects.toMatchObject({ code: 'CORRUPT', segment: 'wal.floor' })
  })

  it('ignores files that are not segments', async () => {
    const fs = await buildLog(2)
    await fs.writeFile(`${DIR}/notes.txt`, enc('hello'))
    await fs.writeFile(`${DIR}/1.wal`, enc('not a segment name'))
    expect((await readAll(fs)).lastSeq).toBe(2)
  })
})
