import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { DIR, collect, enc } from './helpers.js'

// truncateBefore(seq) with every record of the active segment at or below seq rolls first, so
// that segment is removed whole and the next open reads none of its dead bytes (issue 17).

const put = (k: string) => ({ op: 'put' as const, key: enc(k), value: enc(k) })
const segments = async (fs: SimFileSystem): Promise<string[]> => (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal')).sort()

describe('truncateBefore and the active segment', () => {
  it('at lastSeq: the active segment goes whole, a new empty one starts after it, appends and reopen go on', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    for (let i = 0; i < 5; i++) await wal.append(put(`k${i}`))
    await wal.truncateBefore(5)
    expect(await segments(fs)).toEqual(['00000000000000000006.wal'])
    expect((await fs.stat(`${DIR}/00000000000000000006.wal`)).size).toBe(24)
    expect(await collect(wal)).toEqual([])
    const e = await wal.append(put('after'))
    expect(e.seq).toBe(6)
    await wal.close()
    // Also after a power loss: the roll and the unlink were durable before truncateBefore resolved.
    for (const image of [fs, fs.crash(1)]) {
      const reopened = await Wal.open(DIR, { fs: image })
      expect(reopened.recoveryReport.entries).toBe(1)
      expect((await collect(reopened)).map((x) => x.seq)).toEqual([6])
      await reopened.close()
    }
  })

  it('below lastSeq: no roll (live entries stay where they are); an empty active segment is not rolled again', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    for (let i = 0; i < 5; i++) await wal.append(put(`k${i}`))
    await wal.truncateBefore(3)
    expect(await segments(fs)).toEqual(['00000000000000000001.wal'])
    expect((await collect(wal)).map((x) => x.seq)).toEqual([4, 5])
    await wal.truncateBefore(5)
    await wal.truncateBefore(5)
    expect(await segments(fs)).toEqual(['00000000000000000006.wal'])
    await wal.close()
  })
})
