import { mountSmallDisk, refusedSmallDisk, type SmallDisk } from '@quire/test-kit'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend, type EventStoreBackend } from '../src/index.js'

const MiB = 1024 * 1024
const dataOf = (i: number): { i: number; pad: string } => ({ i, pad: 'p'.repeat(1000 + (i % 5) * 500) })

const backends: [string, (dir: string) => EventStoreBackend][] = [
  ['wal', (dir) => walBackend(join(dir, 'wal'), { segmentBytes: 256 * 1024 })],
  ['ndjson', (dir) => ndjsonBackend(join(dir, 'events.ndjson'))],
  ['record-keeper', (dir) => recordKeeperBackend(join(dir, 'rk'))],
]

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

  for (const [name, backendIn] of backends) {
    it(`${name}: every acknowledged append survives, the failing append gets a typed error naming ENOSPC, and the store reopens and works once space is freed`, async (ctx) => {
      if (disk === undefined) return ctx.skip(refusedSmallDisk(refused))
      await disk.fill(1 * MiB)
      const store = await EventStore.open({ backend: backendIn(disk.dir) })
      const acked = new Map<string, number>()
      const failures: unknown[] = []
      let next = 0
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (;;) {
            const i = next++
            try {
              const r = await store.appendToStream(`s-${i % 10}`, { type: 'Filled', data: dataOf(i) })
              acked.set(String(r.position), i)
            } catch (err) {
              failures.push(err)
              return
            }
          }
        }),
      )
      expect(acked.size).toBeGreaterThan(0)
      expect(failures.length).toBe(8)
      // The first append to meet the full disk names ENOSPC; typed codes only.
      expect(failures.some((err) => (err as Error).message.includes('ENOSPC'))).toBe(true)
      for (const err of failures) expect(['APPEND_FAILED', 'POISONED']).toContain((err as { code?: string }).code)
      await store.close().catch(() => undefined) // a poisoned store may report its last sync

      await disk.release()
      const again = await EventStore.open({ backend: backendIn(disk.dir) })
      const found = new Map<string, unknown>()
      for await (const e of again.readAll()) found.set(String(e.position), e.data)
      for (const [position, i] of acked) expect(found.get(position), `acknowledged position ${position}`).toEqual(dataOf(i))
      await again.appendToStream('after', { type: 'Freed', data: {} })
      await again.close()
    }, 120_000)
  }
})
