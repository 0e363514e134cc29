import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { NdjsonLog } from '@quire/ndjson-log'
import { LOG, readAll, text, withoutPad } from './helpers.js'

// Issue 13, known debt: with preallocation, ENOSPC must not refuse appends that would fit without
// the free-space pad.
describe('a nearly full disk and preallocated free space', () => {
  it('appends that fit without the pad are acknowledged (without a pad); the file stays valid', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: 64 * 1024 })
    await log.append({ n: 1 })
    await log.close() // trims the pad: the file is just its lines
    const again = await NdjsonLog.open(LOG, { fs, preallocateBytes: 64 * 1024 })
    fs.capacityBytes = fs.usedBytes() + 300 // room for a few records, not for a 64 KiB pad
    expect((await again.append({ n: 2 })).seq).toBe(2)
    expect((await again.appendBatch([{ n: 3 }, { n: 4 }])).map((e) => e.seq)).toEqual([3, 4])
    // Once even the lines do not fit, the append is refused and rolled back; the log goes on.
    await expect(again.append({ n: 5, big: 'x'.repeat(400) })).rejects.toMatchObject({ code: 'WRITE_FAILED' })
    fs.capacityBytes = Infinity
    expect((await again.append({ n: 6 })).seq).toBe(5)
    await again.close()
    expect(withoutPad(await text(fs)).endsWith('\n')).toBe(true)
    expect((await readAll(fs)).map((e) => e.record['n'])).toEqual([1, 2, 3, 4, 6])
  })
})
