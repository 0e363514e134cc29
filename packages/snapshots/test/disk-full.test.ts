import { diskFullSuite } from '@quire/test-kit'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { SnapshotStore } from '../src/index.js'

const stateOf = (key: number, position: number): Uint8Array => new Uint8Array(8 * 1024 + key * 1024).fill((key * 31 + position) & 0xff)
const DIR = (disk: string): string => join(disk, 'snaps')

// Each writer saves its own key at rising positions; keep 1000: nothing is pruned, so the disk really fills.
diskFullSuite<SnapshotStore, number>({
  name: 'SnapshotStore',
  what: 'save (or a newer one)',
  location: DIR,
  open: (dir) => SnapshotStore.open(dir, { codec: 'raw', keep: 1000 }),
  close: (store) => store.close(),
  write: async (store, i, key) => {
    await store.save(`k${key}`, { position: i + 1, state: stateOf(key, i + 1) })
    return key
  },
  failureCodes: ['WRITE_FAILED', 'POISONED'],
  enospc: 'every',
  check: async (store, acked) => {
    for (const [key, i] of acked) {
      const got = await store.load(`k${key}`)
      expect(got?.position, `k${key} acknowledged at ${i + 1}`).toBeGreaterThanOrEqual(i + 1)
      expect(new Uint8Array(got!.state as Uint8Array)).toEqual(stateOf(key, got!.position))
    }
  },
  writeAfter: async (store) => {
    await store.save('k0', { position: 1_000_000, state: stateOf(0, 1) })
    expect((await store.load('k0'))?.position).toBe(1_000_000)
  },
  // No temp file of a failed save is left (checked after the reopened store closed).
  afterReopen: async (dir) => {
    for (const name of await readdir(dir)) {
      if (name.startsWith('k-')) expect((await readdir(join(dir, name))).filter((f) => f.endsWith('.tmp'))).toEqual([])
    }
  },
})
