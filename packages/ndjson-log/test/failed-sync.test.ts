import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { NdjsonLog } from '../src/index.js'

// After a failed fdatasync Linux keeps serving the dropped data from its cache. A log reopened in
// the same process must not read that data as the log and acknowledge new records after it.
describe('after a failed sync', () => {
  for (const preallocateBytes of [0, 1024]) {
    it(`a reopened log builds only on what the disk holds (preallocateBytes ${preallocateBytes})`, async () => {
      const fs = new SimFileSystem()
      const log = await NdjsonLog.open('/db/events.ndjson', { fs, preallocateBytes })
      await log.append({ n: 1 })
      fs.injectFault({ op: 'sync', path: '/db/events.ndjson', error: 'EIO' })
      await expect(log.append({ n: 2 })).rejects.toMatchObject({ code: 'POISONED' })
      await log.close().catch(() => undefined)
      const again = await NdjsonLog.open('/db/events.ndjson', { fs, preallocateBytes })
      const three = await again.append({ n: 3 })
      await again.close()
      for (const image of [fs.crash(1), fs.crash(2), fs.clone()]) {
        const reopened = await NdjsonLog.open('/db/events.ndjson', { fs: image, preallocateBytes })
        const records: unknown[] = []
        for await (const e of reopened.read()) records.push([e.seq, e.record])
        await reopened.close()
        expect(records).toEqual([[1, { n: 1 }], [three.seq, { n: 3 }]])
      }
    })
  }
})
