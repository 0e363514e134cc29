import { sweepAfterCrashSuite } from '@quire/test-kit'
import { NdjsonLog } from '@quire/ndjson-log'
import { LOG, SMALL_PAD } from './helpers.js'

// Issue 13, fault 4: temp files of an interrupted replace (rotation's new active file) are swept at
// open; after recovery from a crash at any point the directory holds only the log's own files.
sweepAfterCrashSuite({
  name: 'NdjsonLog',
  what: 'appends, batches and rotations',
  dir: '/db',
  pessimistic: [false, true],
  own: [/^events\.ndjson$/, /^events\.\d{6,}\.ndjson$/, /^events\.ndjson\.lock\/$/, /^events\.ndjson\.\d+\.[0-9a-f]{16}\.quarantine$/],
  workload: async (fs) => {
    const log = await NdjsonLog.open(LOG, { fs, maxFileBytes: 400, preallocateBytes: SMALL_PAD })
    for (let i = 1; i <= 8; i++) {
      if (i % 3 === 0) await log.appendBatch([{ i, part: 1 }, { i, part: 2 }])
      else await log.append({ i, pad: 'x'.repeat(60) })
    }
    await log.close()
  },
  recover: async (fs) => {
    await (await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })).close()
  },
})
