import { join } from 'node:path'
import { SimFileSystem } from '@quire/vfs/sim'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { describe, expect, it } from 'vitest'
import { SnapshotStore, type CorruptionReport } from '../src/index.js'

const DIR = '/snaps'

describe('random corruption of snapshot files', () => {
  it('never makes load return wrong state: it returns the newest undamaged snapshot', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.record({ position: fc.nat({ max: 9 }), payload: fc.string({ maxLength: 60 }) }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.record({ file: fc.nat(), offset: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat({ max: 9 }), { nil: undefined }),
        fc.boolean(),
        async (saves, keep, damage, maxPosition, raw) => {
          const sim = new SimFileSystem()
          const encode = (s: { payload: string }, i: number) => (raw ? new TextEncoder().encode(`${i}:${s.payload}`) : { i, payload: s.payload })
          const store = await SnapshotStore.open(DIR, { fs: sim, keep, ...(raw ? { codec: 'raw' as const } : {}) })
          for (const [i, s] of saves.entries()) await store.save('key', { position: s.position, state: encode(s, i) })
          await store.close()

          // What survives pruning: the keep + 1 highest (position, call order), newest first —
          // the same order as the file names.
          const ranked = saves
            .map((s, i) => ({ ...s, i }))
            .sort((a, b) => b.position - a.position || b.i - a.i)
            .slice(0, keep + 1)
          const keyDir = join(DIR, 'k-6b6579')
          const names = (await sim.readdir(keyDir)).sort().reverse()
          expect(names).toHaveLength(ranked.length)
          // Two flips of one byte with the same mask cancel out: a file is damaged only if some
          // byte ends up with a non-zero combined mask.
          const flips = new Map<string, { index: number; mask: number }>()
          for (const d of damage) {
            const index = d.file % names.length
            const path = join(keyDir, names[index]!)
            const size = (await sim.stat(path)).size
            sim.corruptByte(path, d.offset % size, d.mask)
            const at = `${index}:${d.offset % size}`
            flips.set(at, { index, mask: (flips.get(at)?.mask ?? 0) ^ d.mask })
          }
          const damaged = new Set<number>()
          for (const f of flips.values()) if (f.mask !== 0) damaged.add(f.index)

          const reports: CorruptionReport[] = []
          const reopened = await SnapshotStore.open(DIR, { fs: sim, keep, onCorrupt: (r) => reports.push(r), ...(raw ? { codec: 'raw' as const } : {}) })
          const got = await reopened.load('key', maxPosition === undefined ? {} : { maxPosition })
          const expectedIndex = ranked.findIndex((s, j) => !damaged.has(j) && (maxPosition === undefined || s.position <= maxPosition))
          if (expectedIndex === -1) {
            expect(got).toBeUndefined()
          } else {
            const want = ranked[expectedIndex]!
            expect(got?.position).toBe(want.position)
            const state = got?.state
            if (raw) expect(Buffer.from(state as Uint8Array).toString()).toBe(`${want.i}:${want.payload}`)
            else expect(state).toEqual({ i: want.i, payload: want.payload })
          }
          // Every damaged file the load walked past was reported, and nothing else was.
          for (const r of reports) expect(damaged.has(names.indexOf(r.file.slice(keyDir.length + 1)))).toBe(true)
          await reopened.close()
        },
      ),
      { numRuns: propertyRuns(300) },
    )
  })
})
