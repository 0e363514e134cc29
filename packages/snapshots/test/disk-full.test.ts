import { mountSmallDisk, refusedSmallDisk, type SmallDisk } from '@quire/test-kit'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SnapshotStore } from '../src/index.js'

const MiB = 1024 * 1024
const stateOf = (key: number, position: number): Uint8Array => new Uint8Array(8 * 1024 + key * 1024).fill((key * 31 + position) & 0xff)

describe('a real disk that fills up (an 8 MiB tmpfs)', () => {
  let disk: SmallDisk | undefined
  let refused = ''
  beforeAll(() => {
    const mounted = mountSmallDisk(8 * MiB)
    if ('refused' in mounted) refused = mounted.refused
    else disk = mounted
  })
  afterAll(() => disk?.unmount())

  it('every acknowledged save (or a newer one) survives, the failing ones get a typed error naming ENOSPC, no temp file is left, and the store reopens and works once space is freed', async (ctx) => {
    if (disk === undefined) return ctx.skip(refusedSmallDisk(refused))
    const dir = join(disk.dir, 'snaps')
    await disk.fill(1 * MiB)
    // keep 1000: nothing is pruned, so the disk really fills.
    const store = await SnapshotStore.open(dir, { codec: 'raw', keep: 1000 })
    const acked = new Map<number, number>()
    const failures: unknown[] = []
    await Promise.all(
      Array.from({ length: 8 }, async (_, key) => {
        for (let position = 1; ; position++) {
          try {
            await store.save(`k${key}`, { position, state: stateOf(key, position) })
            acked.set(key, position)
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
      expect(err).toHaveProperty('code')
      expect(['WRITE_FAILED', 'POISONED']).toContain((err as { code: string }).code)
      expect((err as Error).message).toContain('ENOSPC')
    }
    await store.close()

    await disk.release()
    const again = await SnapshotStore.open(dir, { codec: 'raw', keep: 1000 })
    for (const [key, position] of acked) {
      const got = await again.load(`k${key}`)
      expect(got?.position, `k${key} acknowledged at ${position}`).toBeGreaterThanOrEqual(position)
      expect(new Uint8Array(got!.state as Uint8Array)).toEqual(stateOf(key, got!.position))
    }
    for (const name of await readdir(dir)) {
      if (name.startsWith('k-')) expect((await readdir(join(dir, name))).filter((f) => f.endsWith('.tmp'))).toEqual([])
    }
    await again.save('k0', { position: 1_000_000, state: stateOf(0, 1) })
    expect((await again.load('k0'))?.position).toBe(1_000_000)
    await again.close()
  }, 120_000)
})
