import { diskFullSuite } from '@quire/test-kit'
import { join } from 'node:path'
import { expect } from 'vitest'
import { Depot, ObjectState, RecordKeeper } from '../src/index.js'

const uuid = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
const contentOf = (i: number): Uint8Array => new Uint8Array(16 * 1024 + (i % 5) * 4096).fill(i & 0xff)

// Both stores poison on the first failure (POISONED naming ENOSPC); later calls may meet the poison.
diskFullSuite<RecordKeeper, string>({
  name: 'RecordKeeper',
  what: 'add',
  location: (disk) => join(disk, 'rk'),
  open: (dir) => RecordKeeper.open(dir),
  close: (rk) => rk.close(),
  write: async (rk, i) => {
    await rk.add({ id: uuid(i), pad: 'p'.repeat(2000) })
    return uuid(i)
  },
  failureCodes: ['POISONED'],
  enospc: 'every',
  check: async (rk, acked) => {
    for (const id of acked.keys()) expect(await rk.exists(id), `acknowledged ${id}`).toBe(true)
  },
  writeAfter: async (rk) => {
    await rk.add({ id: uuid(1_000_000) })
    expect(await rk.tail()).toBe(uuid(1_000_000))
  },
  afterReopen: async (dir) => {
    expect((await RecordKeeper.verify(dir)).ok).toBe(true)
  },
})

diskFullSuite<Depot, number>({
  name: 'Depot',
  what: 'finalized object',
  location: (disk) => join(disk, 'depot'),
  open: (dir) => Depot.open(dir),
  close: (depot) => depot.close(),
  writers: 4,
  write: async (depot, i) => {
    const content = contentOf(i)
    await depot.reserve(uuid(i), content.byteLength)
    await depot.write(uuid(i), 0, content)
    await depot.finalize(uuid(i))
    return i
  },
  failureCodes: ['POISONED'],
  enospc: 'some',
  check: async (depot, acked) => {
    for (const i of acked.keys()) {
      const content = contentOf(i)
      expect(await depot.state(uuid(i))).toBe(ObjectState.READABLE)
      expect(await depot.read(uuid(i), 0, content.byteLength)).toEqual(content)
    }
  },
  writeAfter: async (depot) => {
    await depot.reserve(uuid(1_000_000), 10)
    await depot.write(uuid(1_000_000), 0, new Uint8Array(10).fill(9))
    await depot.finalize(uuid(1_000_000))
    expect(await depot.read(uuid(1_000_000), 0, 10)).toEqual(new Uint8Array(10).fill(9))
  },
})
