import { diskFullSuite } from '@quire/test-kit'
import { join } from 'node:path'
import { expect } from 'vitest'
import { MvccStore } from '../src/index.js'

const valueOf = (i: number): Uint8Array => new Uint8Array(2048 + (i % 5) * 1024).fill(i & 0xff)

// The first commit to meet the full disk names ENOSPC; the store then refuses every commit (POISONED).
diskFullSuite<MvccStore, string>({
  name: 'MvccStore',
  what: 'commit',
  location: (disk) => join(disk, 'db'),
  open: (dir) => MvccStore.open(dir, { segmentBytes: 256 * 1024 }),
  close: (db) => db.close(),
  write: async (db, i) => {
    await db.transaction(async (tx) => tx.put(`k${i % 500}`, valueOf(i)))
    return `k${i % 500}`
  },
  failureCodes: ['POISONED'],
  enospc: 'some',
  check: async (db, acked) => {
    await db.transaction(async (tx) => {
      for (const [key, i] of acked) expect(new Uint8Array((await tx.get(key)) as Uint8Array), key).toEqual(valueOf(i))
    })
  },
  writeAfter: async (db) => {
    await db.transaction(async (tx) => tx.put('after', 1))
    await db.checkpoint()
  },
})
