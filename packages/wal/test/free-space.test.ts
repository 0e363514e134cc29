import { scanFrames } from '@quire/codec'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal, WalCorruptError } from '../src/index.js'
import { WAL_PREALLOCATE_BYTES } from '../src/limits.js'
import { DIR, collect, enc, plain, readAll } from './helpers.js'

const put = (k: string, n = 40) => ({ op: 'put' as const, key: enc(k), value: enc('v'.repeat(n)) })
const FIRST = `${DIR}/00000000000000000001.wal`
const SECOND_NAME = (seq: number): string => `${DIR}/${String(seq).padStart(20, '0')}.wal`

/** Where the records of a segment end (its free space starts). */
const recordsEnd = (bytes: Uint8Array): number => scanFrames(bytes, { offset: 24 }).end

/** A log with `count` appends under sync 'always', left open (as a killed writer leaves it). */
async function openLog(count: number, segmentBytes?: number): Promise<{ fs: SimFileSystem; wal: Wal }> {
  const fs = new SimFileSystem()
  const wal = await Wal.open(DIR, segmentBytes === undefined ? { fs } : { fs, segmentBytes })
  for (let i = 1; i <= count; i++) await wal.append(put(`k${i}`))
  return { fs, wal }
}

describe('free space (FORMAT.md "Free space")', () => {
  it('the active segment carries zeros after its records; every crash image reads as the same log, with nothing to report', async () => {
    const { fs, wal } = await openLog(5)
    const bytes = await fs.readFile(FIRST)
    const dataEnd = recordsEnd(bytes)
    expect(bytes.byteLength).toBe(24 + 76 + WAL_PREALLOCATE_BYTES) // grown once, at the first append
    expect(bytes.subarray(dataEnd).every((b) => b === 0)).toBe(true)
    for (const image of fs.crashImages({ max: 50 })) {
      const reopened = await Wal.open(DIR, { fs: image })
      expect(reopened.recoveryReport.actions).toEqual([])
      expect((await collect(reopened)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
      // The free space is kept: the next append overwrites it, the file does not grow.
      const size = (await image.stat(FIRST)).size
      await reopened.append(put('k6'))
      expect((await image.stat(FIRST)).size).toBe(size)
      await reopened.close()
    }
    await wal.close()
  })

  it('a clean close and a roll cut the free space: only the last segment of a live log has any', async () => {
    const { fs, wal } = await openLog(80, 2048)
    const names = (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal'))
    expect(names.length).toBeGreaterThan(2)
    for (const name of names.slice(0, -1)) {
      const bytes = await fs.readFile(`${DIR}/${name}`)
      expect(bytes[bytes.byteLength - 1], `${name} ends with its last record`).not.toBe(0)
    }
    await wal.close()
    const last = await fs.readFile(`${DIR}/${names[names.length - 1]!}`)
    expect(last[last.byteLength - 1]).not.toBe(0)
    expect((await readAll(fs)).lastSeq).toBe(80)
  })

  it('free space never passes the segment size', async () => {
    const { fs, wal } = await openLog(3, 4096)
    expect((await fs.stat(FIRST)).size).toBe(4096)
    await wal.close()
  })

  it('a torn write in the middle of the free space is a torn tail: cut, quarantined, earlier entries kept', async () => {
    const { fs, wal } = await openLog(3)
    const size = (await fs.stat(FIRST)).size
    const dataEnd = recordsEnd(await fs.readFile(FIRST))
    await wal.close()
    // What a crash during the next write leaves: the start of a frame, then the zeros.
    const h = await fs.open(FIRST, 'r+')
    await h.truncate(size)
    await h.write(new Uint8Array([0x40, 0, 0, 0, 1, 0, 4, 0, 0, 0]), dataEnd)
    await h.sync()
    await h.close()
    const reopened = await Wal.open(DIR, { fs })
    expect(reopened.recoveryReport.actions).toMatchObject([{ action: 'cut-torn-tail', offset: dataEnd }])
    expect(reopened.recoveryReport.actions[0]!.quarantine).toBeDefined()
    expect((await collect(reopened)).map(plain).map((e) => e.key)).toEqual(['k1', 'k2', 'k3'])
    await reopened.close()
  })

  it('bytes that are not zero followed by a valid frame in the free space are corruption, not free space', async () => {
    const { fs, wal } = await openLog(3)
    const bytes = await fs.readFile(FIRST)
    await wal.close()
    const dataEnd = (await fs.stat(FIRST)).size
    // A record's frame copied after garbage, inside zeros: no crash of a single writer leaves that.
    const firstFrame = bytes.subarray(24, 24 + 4 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(24, true) + 4)
    const h = await fs.open(FIRST, 'r+')
    await h.write(new Uint8Array(4096), dataEnd)
    await h.write(new Uint8Array([7, 7, 7]), dataEnd)
    await h.write(firstFrame, dataEnd + 100)
    await h.sync()
    await h.close()
    await expect(Wal.open(DIR, { fs })).rejects.toBeInstanceOf(WalCorruptError)
  })

  it('zeros at the end of a segment that is not the last are corruption', async () => {
    const { fs, wal } = await openLog(40, 2048)
    await wal.close()
    const h = await fs.open(FIRST, 'r+')
    await h.write(new Uint8Array(64), (await h.size()))
    await h.sync()
    await h.close()
    expect(await fs.exists(SECOND_NAME(2))).toBe(false) // segments are named by their first seq
    await expect(Wal.open(DIR, { fs })).rejects.toBeInstanceOf(WalCorruptError)
  })
})
