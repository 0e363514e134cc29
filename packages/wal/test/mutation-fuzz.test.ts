import { checkMutationFuzz } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { beforeAll, describe, it } from 'vitest'
import { Wal, type WalRecoveryMode } from '../src/index.js'

const DIR = '/wal'
const hex = (b: Uint8Array | null): string => (b === null ? '-' : Buffer.from(b).toString('hex'))
const written = new Set<string>()
const base = new SimFileSystem()

beforeAll(async () => {
  // Several segments, a batch, deletes, and a truncation floor: every file kind of the format.
  const wal = await Wal.open(DIR, { fs: base, segmentBytes: 1024 })
  for (let i = 0; i < 40; i++) {
    const key = new Uint8Array([i])
    const value = new Uint8Array(20 + (i % 5) * 30).fill(i)
    if (i % 7 === 3) {
      const ops = [
        { op: 'put' as const, key, value },
        { op: 'delete' as const, key: new Uint8Array([i, 1]) },
      ]
      await wal.appendBatch(ops)
      for (const op of ops) written.add(`${hex(op.key)}:${op.op === 'put' ? hex(op.value) : '-'}`)
    } else {
      await wal.append({ op: 'put', key, value })
      written.add(`${hex(key)}:${hex(value)}`)
    }
  }
  await wal.truncateBefore(10)
  await wal.close()
})

describe('mutation fuzzer at open: segments and the floor, flipped, cut, extended, swapped', () => {
  for (const recovery of ['strict', 'skip-corrupt', 'point-in-time'] as WalRecoveryMode[]) {
    it(`recovery '${recovery}': a typed CORRUPT/UNSUPPORTED_VERSION, or a log that shows only what was written`, async () => {
      await checkMutationFuzz(
        {
          base,
          root: DIR,
          open: (fs) => Wal.open(DIR, { fs, segmentBytes: 1024, recovery }),
          readAll: async (wal) => {
            const out: string[] = []
            for await (const e of wal.replay()) out.push(`${hex(e.key)}:${hex(e.value)}`)
            // And it takes appends after recovery.
            await wal.append({ op: 'put', key: new Uint8Array([0]), value: new Uint8Array([0]) })
            return out
          },
          close: (wal) => wal.close(),
          written,
          codes: ['CORRUPT', 'UNSUPPORTED_VERSION'],
        },
        { numRuns: 100 },
      )
    })
  }
})
