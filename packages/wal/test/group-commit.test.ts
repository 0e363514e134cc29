import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { DIR, collect, enc } from './helpers.js'

describe('group commit', () => {
  it('256 concurrent appends cost a handful of writes and syncs, not 256', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    fs.resetStats()
    const entries = await Promise.all(
      Array.from({ length: 256 }, (_, i) => wal.append({ op: 'put', key: enc(`k${i}`), value: new Uint8Array(100) })),
    )
    expect(fs.stats.syncs).toBeLessThanOrEqual(4)
    expect(fs.stats.writes).toBeLessThanOrEqual(4)
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 256 }, (_, i) => i + 1))
    await wal.close()
  })

  it('256 writers appending in a loop share syncs', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    fs.resetStats()
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < 8; i++) await wal.append({ op: 'put', key: enc(`w${w}-${i}`), value: new Uint8Array(100) })
    }
    await Promise.all(Array.from({ length: 256 }, (_, w) => writer(w)))
    // 2048 appends; one write + one sync per group of (nearly) all 256 writers.
    expect(fs.stats.syncs).toBeLessThanOrEqual(24)
    expect(wal.lastSeq).toBe(2048)
    expect((await collect(wal)).length).toBe(2048)
    await wal.close()
  })

  it('a batch and its COMMIT go out in one write, never split across segments', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
    await wal.append({ op: 'put', key: enc('first'), value: new Uint8Array(900) })
    fs.resetStats()
    const batch = Array.from({ length: 30 }, (_, i) => ({ op: 'put' as const, key: enc(`b${i}`), value: new Uint8Array(60) }))
    await wal.appendBatch(batch)
    // The batch (> segmentBytes) went whole into a fresh segment: one header write + one data write.
    expect(fs.stats.writes).toBe(2)
    const names = (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal'))
    expect(names).toEqual(['00000000000000000001.wal', '00000000000000000002.wal'])
    await wal.close()
  })
})
