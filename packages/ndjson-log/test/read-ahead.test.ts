import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { NdjsonLog } from '@quire/ndjson-log'
import { LOG } from './helpers.js'

/** A log of `n` records of ~200 bytes: 3000 of them span three 256 KiB chunks of reading. */
async function logOf(n: number): Promise<SimFileSystem> {
  const fs = new SimFileSystem()
  const log = await NdjsonLog.open(LOG, { fs, sync: 'none' })
  // Single records (a batch's records are returned only once its last line is read).
  await Promise.all(Array.from({ length: n }, (_, i) => log.append({ i, pad: 'x'.repeat(150) })))
  await log.close()
  return fs
}

describe('read() reads the next chunk while the caller works on this one', () => {
  it('a failed read of a later chunk rejects the read with its error, where the caller is', async () => {
    const fs = await logOf(3000)
    const log = await NdjsonLog.open(LOG, { fs, readOnly: true })
    // The second read of the file (its second chunk, started while the first is being read back).
    fs.injectFault({ op: 'read', path: LOG, nth: 2, error: 'EIO' })
    const seen: number[] = []
    const reading = (async () => {
      for await (const e of log.read()) seen.push(e.seq)
    })()
    await expect(reading).rejects.toMatchObject({ code: 'EIO' })
    // Everything before the failed chunk was returned, in order; nothing after it.
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.length).toBeLessThan(3000)
    expect(seen).toEqual(seen.map((_, i) => i + 1))
    await log.close()
  })

  it('stopping early with a read in flight: the log reads again and closes', async () => {
    const fs = await logOf(3000)
    const log = await NdjsonLog.open(LOG, { fs, readOnly: true })
    for await (const e of log.read()) if (e.seq === 10) break
    const again: number[] = []
    for await (const e of log.read({ fromSeq: 2990 })) again.push(e.record.i as number)
    expect(again).toEqual(Array.from({ length: 11 }, (_, i) => 2989 + i))
    await log.close()
  })
})
