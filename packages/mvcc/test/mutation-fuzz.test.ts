import { checkMutationFuzz } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { beforeAll, describe, it } from 'vitest'
import { MvccStore } from '../src/index.js'

const DIR = '/db'
const written = new Set<string>()
const base = new SimFileSystem()

beforeAll(async () => {
  // Commits, a checkpoint (snapshot file + truncated WAL), more commits, a delete, another checkpoint, more commits.
  const db = await MvccStore.open(DIR, { fs: base, segmentBytes: 1024 })
  const commit = async (key: string, value: unknown): Promise<void> => {
    await db.transaction(async (tx) => (value === undefined ? tx.delete(key) : tx.put(key, value)))
    if (value !== undefined) written.add(`${key}=${JSON.stringify(value)}`)
  }
  for (let i = 0; i < 30; i++) await commit(`k${i % 8}`, { i, s: 'v'.repeat(i) })
  await db.checkpoint()
  for (let i = 30; i < 45; i++) await commit(`k${i % 8}`, { i })
  await commit('k3', undefined)
  await db.checkpoint()
  for (let i = 45; i < 55; i++) await commit(`k${i % 8}`, [i])
  await db.close()
})

describe('mutation fuzzer at open: checkpoints and WAL segments flipped, cut, extended, swapped', () => {
  it('a typed CORRUPT/UNSUPPORTED_VERSION, or a store showing only values that were committed', async () => {
    await checkMutationFuzz(
      {
        base,
        root: DIR,
        open: (fs) => MvccStore.open(DIR, { fs, segmentBytes: 1024 }),
        readAll: async (db) => {
          const out: string[] = []
          await db.transaction(
            async (tx) => {
              for await (const [key, value] of tx.scan()) out.push(`${key}=${JSON.stringify(value)}`)
            },
            { readOnly: true },
          )
          await db.transaction(async (tx) => tx.put('after', 1))
          return out
        },
        close: (db) => db.close(),
        written,
        codes: ['CORRUPT', 'UNSUPPORTED_VERSION'],
      },
      { numRuns: 120 },
    )
  })
})
