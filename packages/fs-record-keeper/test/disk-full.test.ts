import { mountSmallDisk, refusedSmallDisk, type SmallDisk } from '@quire/test-kit'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Depot, ObjectState, RecordKeeper } from '../src/index.js'

const MiB = 1024 * 1024
const uuid = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
const contentOf = (i: number): Uint8Array => new Uint8Array(16 * 1024 + (i % 5) * 4096).fill(i & 0xff)

describe('a real disk that fills up (an 8 MiB tmpfs)', () => {
  // A disk of its own for each test: what one leaves must not fill the next one's.
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

  it('RecordKeeper: every acknowledged add survives, the failing add gets a typed error naming ENOSPC, and the store reopens and works once space is freed', async (ctx) => {
    if (disk === undefined) return ctx.skip(refusedSmallDisk(refused))
    const dir = join(disk.dir, 'rk')
    await disk.fill(1 * MiB)
    const rk = await RecordKeeper.open(dir)
    const acked: string[] = []
    const failures: unknown[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const id = uuid(next++)
          try {
            await rk.add({ id, pad: 'p'.repeat(2000) })
            acked.push(id)
          } catch (err) {
            failures.push(err)
            return
          }
        }
      }),
    )
    expect(acked.length).toBeGreaterThan(0)
    expect(failures.length).toBe(8)
    for (const err of failures) {
      expect(['POISONED']).toContain((err as { code?: string }).code)
      expect((err as Error).message).toContain('ENOSPC')
    }
    await rk.close()

    await disk.release()
    const again = await RecordKeeper.open(dir)
    for (const id of acked) expect(await again.exists(id), `acknowledged ${id}`).toBe(true)
    await again.add({ id: uuid(1_000_000) })
    expect(await again.tail()).toBe(uuid(1_000_000))
    await again.close()
    expect((await RecordKeeper.verify(dir)).ok).toBe(true)
  }, 120_000)

  it('Depot: every finalized object survives, the failing call gets a typed error naming ENOSPC, and the depot reopens and works once space is freed', async (ctx) => {
    if (disk === undefined) return ctx.skip(refusedSmallDisk(refused))
    const dir = join(disk.dir, 'depot')
    await disk.fill(1 * MiB)
    const depot = await Depot.open(dir)
    const acked: number[] = []
    const failures: unknown[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (;;) {
          const i = next++
          const content = contentOf(i)
          try {
            await depot.reserve(uuid(i), content.byteLength)
            await depot.write(uuid(i), 0, content)
            await depot.finalize(uuid(i))
            acked.push(i)
          } catch (err) {
            failures.push(err)
            return
          }
        }
      }),
    )
    expect(acked.length).toBeGreaterThan(0)
    expect(failures.length).toBe(4)
    // The first failure meets the full disk (POISONED naming ENOSPC); later ones may meet the poison.
    expect(failures.some((err) => (err as Error).message.includes('ENOSPC'))).toBe(true)
    for (const err of failures) expect((err as { code?: string }).code).toBe('POISONED')
    await depot.close()

    await disk.release()
    const again = await Depot.open(dir)
    for (const i of acked) {
      const content = contentOf(i)
      expect(await again.state(uuid(i))).toBe(ObjectState.READABLE)
      expect(await again.read(uuid(i), 0, content.byteLength)).toEqual(content)
    }
    await again.reserve(uuid(1_000_000), 10)
    await again.write(uuid(1_000_000), 0, new Uint8Array(10).fill(9))
    await again.finalize(uuid(1_000_000))
    expect(await again.read(uuid(1_000_000), 0, 10)).toEqual(new Uint8Array(10).fill(9))
    await again.close()
  }, 120_000)
})
