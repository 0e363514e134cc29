import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { Wal } from '../src/index.js'
import { DIR, enc, readAll } from './helpers.js'

// Regressions for bugs found in review: each of these failed before its fix.
const put = (k: string, n = 40) => ({ op: 'put' as const, key: enc(k), value: new Uint8Array(n).fill(1) })

describe('review regressions', () => {
  it("close() under sync 'none' rejects when its final fdatasync fails", async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, sync: 'none' })
    await wal.append(put('a'))
    fs.injectFault({ op: 'sync', error: 'EIO' })
    await expect(wal.close()).rejects.toBeDefined()
  })

  it('truncateBefore on a poisoned log rejects instead of writing a floor over lost data', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, sync: 'none', segmentBytes: 1024 })
    for (let i = 0; i < 5; i++) await wal.append(put(`k${i}`))
    await wal.appendBatch([put('b1'), put('b2'), put('b3')])
    fs.injectFault({ op: 'sync', error: 'EIO' })
    const big = wal.append(put('big', 900))
    const truncate = wal.truncateBefore(6)
    await expect(big).rejects.toMatchObject({ code: 'POISONED' })
    await expect(truncate).rejects.toMatchObject({ code: 'POISONED' })
    const again = await Wal.open(DIR, { fs: fs.crash(0) })
    expect(again.floorSeq).toBe(0)
    await again.close()
  })

  it('a missing first segment is corruption, not a silently shorter log', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
    for (let i = 0; i < 40; i++) await wal.append(put(`k${i}`))
    await wal.close()
    const names = (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal'))
    await fs.unlink(`${DIR}/${names[0]!}`)
    await fs.syncDir(DIR)
    await expect(Wal.open(DIR, { fs })).rejects.toMatchObject({ code: 'CORRUPT' })
    const skipping = await Wal.open(DIR, { fs, recovery: 'skip-corrupt' })
    expect(skipping.recoveryReport.actions.map((a) => a.action)).toContain('skipped-corrupt')
    await skipping.close()
  })

  it('an operation is encoded as it was validated, whatever its getters say later', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    await wal.append(put('a'))
    let reads = 0
    const big = new Uint8Array(17 * 1024 * 1024)
    const e = await wal.append({
      op: 'put',
      key: enc('b'),
      get value() {
        return reads++ === 0 ? enc('small') : big
      },
    })
    expect(e.seq).toBe(2)
    await wal.close()
    const { entries, lastSeq } = await readAll(fs)
    expect(lastSeq).toBe(2)
    expect(entries[1]!.value).toBe('small')
  })

  it("changing a batch's array after the call changes neither it nor anyone else's seq", async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    const ops = [put('a'), put('b')]
    const pb = wal.appendBatch(ops)
    const px = wal.append(put('x'))
    ops.push(put('c'))
    const [eb, ex] = await Promise.all([pb, px])
    expect(eb.map((e) => e.seq)).toEqual([1, 2])
    expect(ex.seq).toBe(3)
    await wal.close()
  })

  it('the frame example in FORMAT.md is what the WAL writes', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, now: () => 0x0102030405 })
    await wal.append({ op: 'put', key: enc('k'), value: enc('val') })
    await wal.close()
    const bytes = await fs.readFile(`${DIR}/00000000000000000001.wal`)
    expect([...bytes.subarray(24, 28)]).toEqual([0x1e, 0, 0, 0])
  })
})
