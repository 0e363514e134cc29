import { mountSmallDisk, refusedSmallDisk, type SmallDisk } from '@quire/test-kit'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NdjsonLog } from '../src/index.js'

const MiB = 1024 * 1024
const recordOf = (i: number): { i: number; pad: string } => ({ i, pad: 'p'.repeat(500 + (i % 7) * 700) })

describe('a real disk that fills up (an 8 MiB tmpfs)', () => {
  let disk: SmallDisk | undefined
  let refused = ''
  beforeAll(() => {
    const mounted = mountSmallDisk(8 * MiB)
    if ('refused' in mounted) refused = mounted.refused
    else disk = mounted
  })
  afterAll(() => disk?.unmount())

  it('every acknowledged append survives, the failing ones get a typed error naming ENOSPC, and the log reopens and works once space is freed', async (ctx) => {
    if (disk === undefined) return ctx.skip(refusedSmallDisk(refused))
    const path = join(disk.dir, 'logs', 'app.ndjson')
    await disk.fill(1 * MiB)
    const log = await NdjsonLog.open(path, { preallocateBytes: 64 * 1024 })
    const acked = new Map<number, number>()
    const failures: unknown[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const i = next++
          try {
            acked.set((await log.append(recordOf(i))).seq, i)
          } catch (err) {
            failures.push(err)
            return
          }
        }
      }),
    )
    expect(acked.size).toBeGreaterThan(0)
    expect(failures.length).toBe(8)
    for (const err of failures) {
      expect(err).toMatchObject({ code: 'WRITE_FAILED' })
      expect((err as Error).message).toContain('ENOSPC')
    }
    // The log stays usable: what does not fit is refused again (a small record might still fit).
    await expect(log.append({ big: 'b'.repeat(256 * 1024) })).rejects.toMatchObject({ code: 'WRITE_FAILED' })
    await log.close()

    await disk.release()
    const again = await NdjsonLog.open(path, { preallocateBytes: 64 * 1024 })
    const found = new Map<number, unknown>()
    for await (const e of again.read()) found.set(e.seq, e.record)
    for (const [seq, i] of acked) expect(found.get(seq), `acknowledged seq ${seq}`).toEqual(recordOf(i))
    const after = await again.append(recordOf(1))
    expect(after.seq).toBe(again.lastSeq)
    await again.close()
  }, 120_000)
})
