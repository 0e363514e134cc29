import { mountSmallDisk, refusedSmallDisk, type SmallDisk } from '@quire/test-kit'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MvccStore } from '../src/index.js'

const MiB = 1024 * 1024
const valueOf = (i: number): Uint8Array => new Uint8Array(2048 + (i % 5) * 1024).fill(i & 0xff)

describe('a real disk that fills up (an 8 MiB tmpfs)', () => {
  let disk: SmallDisk | undefined
  let refused = ''
  beforeEach(() => {
    const mounted = mountSmallDisk(8 * MiB)
    if ('refused' in mounted) refused = mounted.refused
    else disk = mounted
  })
  afterEach(() => {
    disk?.unmount()
    disk = undefined
  })

  it('every acknowledged commit survives, the failing commit gets a typed error naming ENOSPC, and the store reopens and works once space is freed', async (ctx) => {
    if (disk === undefined) return ctx.skip(refusedSmallDisk(refused))
    const dir = join(disk.dir, 'db')
    await disk.fill(1 * MiB)
    const db = await MvccStore.open(dir, { segmentBytes: 256 * 1024 })
    const acked = new Map<string, number>()
    const failures: unknown[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const i = next++
          try {
            await db.transaction(async (tx) => tx.put(`k${i % 500}`, valueOf(i)))
            acked.set(`k${i % 500}`, i)
          } catch (err) {
            failures.push(err)
            return
          }
        }
      }),
    )
    expect(acked.size).toBeGreaterThan(0)
    expect(failures.length).toBe(8)
    // The first commit to meet the full disk names ENOSPC; the store then refuses every commit.
    expect(failures.some((err) => (err as Error).message.includes('ENOSPC'))).toBe(true)
    for (const err of failures) expect((err as { code?: string }).code).toBe('POISONED')
    await db.close()

    await disk.release()
    const again = await MvccStore.open(dir, { segmentBytes: 256 * 1024 })
    await again.transaction(async (tx) => {
      for (const [key, i] of acked) expect(new Uint8Array((await tx.get(key)) as Uint8Array), key).toEqual(valueOf(i))
    })
    await again.transaction(async (tx) => tx.put('after', 1))
    await again.checkpoint()
    await again.close()
  }, 120_000)
})
