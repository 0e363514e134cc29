import { mountSmallDisk, refusedSmallDisk, type SmallDisk } from '@quire/test-kit'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'

const MiB = 1024 * 1024
const key = new TextEncoder().encode('k')
const valueOf = (i: number): Uint8Array => new Uint8Array(1024 + (i % 7) * 1024).fill(i & 0xff)

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
    const dir = join(disk.dir, 'wal')
    await disk.fill(1 * MiB)
    const wal = await Wal.open(dir, { segmentBytes: 256 * 1024 })
    const acked = new Map<number, number>()
    const failures: unknown[] = []
    let next = 0
    // Eight writers at once, so that groups (not single appends) meet the full disk.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const i = next++
          try {
            acked.set((await wal.append({ op: 'put', key, value: valueOf(i) })).seq, i)
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
    // A rolled-back write leaves the log usable: what does not fit is refused again.
    await expect(wal.append({ op: 'put', key, value: new Uint8Array(512 * 1024) })).rejects.toMatchObject({ code: 'WRITE_FAILED' })
    await wal.close()

    await disk.release()
    const again = await Wal.open(dir, { segmentBytes: 256 * 1024 })
    const found = new Map<number, Uint8Array>()
    for await (const e of again.replay()) found.set(e.seq, e.value!.slice())
    for (const [seq, i] of acked) expect(found.get(seq), `acknowledged seq ${seq}`).toEqual(valueOf(i))
    const after = await again.append({ op: 'put', key, value: valueOf(1) })
    expect(after.seq).toBe(again.lastSeq)
    await again.close()
  }, 120_000)
})
