import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { DIR, collect, enc } from './helpers.js'

// Issue 13, known debt: seqs are never reused. `minLastSeq` lets a caller that recorded seqs
// elsewhere (a checkpoint) make the log move past them after a power loss took them back.
describe('Wal.open with minLastSeq', () => {
  it('a log that ends before it moves past it, durably; the next append gets minLastSeq + 1', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, sync: 'none' })
    for (let i = 1; i <= 3; i++) await wal.append({ op: 'put', key: enc(`k${i}`), value: enc('v') })
    await wal.close()
    const reopened = await Wal.open(DIR, { fs, minLastSeq: 10 })
    expect(reopened.lastSeq).toBe(10)
    expect(reopened.floorSeq).toBe(10)
    expect(await collect(reopened)).toEqual([])
    expect((await reopened.append({ op: 'put', key: enc('n'), value: enc('v') })).seq).toBe(11)
    await reopened.close()
    // Crash-safe: after any power loss from here, the log continues above 10.
    for (const image of fs.crashImages({ max: 50 })) {
      const w = await Wal.open(DIR, { fs: image })
      expect(w.lastSeq).toBeGreaterThanOrEqual(10)
      expect((await w.append({ op: 'put', key: enc('m'), value: enc('v') })).seq).toBeGreaterThan(10)
      await w.close()
    }
  })

  it('a log already past it is left as it is', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    for (let i = 1; i <= 3; i++) await wal.append({ op: 'put', key: enc(`k${i}`), value: enc('v') })
    await wal.close()
    const reopened = await Wal.open(DIR, { fs, minLastSeq: 2 })
    expect(reopened.lastSeq).toBe(3)
    expect(reopened.floorSeq).toBe(0)
    expect((await collect(reopened)).length).toBe(3)
    await reopened.close()
    await expect(Wal.open(DIR, { fs, minLastSeq: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
