import { diskFullSuite } from '@quire/test-kit'
import { join } from 'node:path'
import { expect } from 'vitest'
import { NdjsonLog } from '../src/index.js'

const recordOf = (i: number): { i: number; pad: string } => ({ i, pad: 'p'.repeat(500 + (i % 7) * 700) })

diskFullSuite<NdjsonLog, number>({
  name: 'NdjsonLog',
  what: 'append',
  location: (disk) => join(disk, 'logs', 'app.ndjson'),
  open: (path) => NdjsonLog.open(path, { preallocateBytes: 64 * 1024 }),
  close: (log) => log.close(),
  write: async (log, i) => (await log.append(recordOf(i))).seq,
  failureCodes: ['WRITE_FAILED'],
  enospc: 'every',
  // The log stays usable: what does not fit is refused again (a small record might still fit).
  afterFailures: async (log) => {
    await expect(log.append({ big: 'b'.repeat(256 * 1024) })).rejects.toMatchObject({ code: 'WRITE_FAILED' })
  },
  check: async (log, acked) => {
    const found = new Map<number, unknown>()
    for await (const e of log.read()) found.set(e.seq, e.record)
    for (const [seq, i] of acked) expect(found.get(seq), `acknowledged seq ${seq}`).toEqual(recordOf(i))
  },
  writeAfter: async (log) => {
    expect((await log.append(recordOf(1))).seq).toBe(log.lastSeq)
  },
})
