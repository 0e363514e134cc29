import { diskFullSuite } from '@quire/test-kit'
import { join } from 'node:path'
import { expect } from 'vitest'
import { Wal } from '../src/index.js'

const key = new TextEncoder().encode('k')
const valueOf = (i: number): Uint8Array => new Uint8Array(1024 + (i % 7) * 1024).fill(i & 0xff)

diskFullSuite<Wal, number>({
  name: 'Wal',
  what: 'append',
  location: (disk) => join(disk, 'wal'),
  open: (dir) => Wal.open(dir, { segmentBytes: 256 * 1024 }),
  close: (wal) => wal.close(),
  write: async (wal, i) => (await wal.append({ op: 'put', key, value: valueOf(i) })).seq,
  failureCodes: ['WRITE_FAILED'],
  enospc: 'every',
  // A rolled-back write leaves the log usable: what does not fit is refused again.
  afterFailures: async (wal) => {
    await expect(wal.append({ op: 'put', key, value: new Uint8Array(512 * 1024) })).rejects.toMatchObject({ code: 'WRITE_FAILED' })
  },
  check: async (wal, acked) => {
    const found = new Map<number, Uint8Array>()
    for await (const e of wal.replay()) found.set(e.seq, e.value!.slice())
    for (const [seq, i] of acked) expect(found.get(seq), `acknowledged seq ${seq}`).toEqual(valueOf(i))
  },
  writeAfter: async (wal) => {
    expect((await wal.append({ op: 'put', key, value: valueOf(1) })).seq).toBe(wal.lastSeq)
  },
})
