import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { NdjsonLog } from '../src/index.js'

// Found in review: `ev` and `ev.ndjson` share archive names (`ev.000001.ndjson`), but had
// different locks, so one log's rotation overwrote the other's archives.
describe('logs whose names share archives', () => {
  it('cannot be open at once: the second gets LOCKED', async () => {
    const fs = new SimFileSystem()
    const a = await NdjsonLog.open('/db/ev', { fs })
    await expect(NdjsonLog.open('/db/ev.ndjson', { fs })).rejects.toMatchObject({ code: 'LOCKED' })
    await a.close()
  })

  it('cannot be opened one after the other either, while the first is a log', async () => {
    const fs = new SimFileSystem()
    const a = await NdjsonLog.open('/db/ev', { fs, maxFileBytes: 300, preallocateBytes: 0 })
    for (let i = 1; i <= 6; i++) await a.append({ i, pad: 'x'.repeat(60) })
    await a.close()
    await expect(NdjsonLog.open('/db/ev.ndjson', { fs })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const again = await NdjsonLog.open('/db/ev', { fs })
    const seen: number[] = []
    for await (const e of again.read()) seen.push((e.record as { i: number }).i)
    expect(seen).toEqual([1, 2, 3, 4, 5, 6])
    await again.close()
  })
})
