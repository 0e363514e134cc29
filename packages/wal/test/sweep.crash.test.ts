import { sweepAfterCrashSuite } from '@quire/test-kit'
import { Wal } from '../src/index.js'
import { DIR, enc } from './helpers.js'

// Issue 13, fault 4: temp files of an interrupted replace (the floor of `truncateBefore`) are
// swept at open; after recovery from a crash at any point the directory holds only the log's own files.
sweepAfterCrashSuite({
  name: 'Wal',
  what: 'appends and truncations',
  dir: DIR,
  pessimistic: [false, true],
  // Two crash images of each cut (the pages a power loss keeps differ by seed).
  seeds: (haltAfter) => [1, 2].map((seed) => seed * 7919 + haltAfter),
  own: [/^\d{20}\.wal$/, /^wal\.floor$/, /^\d{20}\.wal\.\d+\.[0-9a-f]{16}\.quarantine$/],
  workload: async (fs) => {
    const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
    for (let i = 1; i <= 12; i++) {
      await wal.append({ op: 'put', key: enc(`k${i}`), value: new Uint8Array(150).fill(i) })
      if (i % 4 === 0) await wal.truncateBefore(i - 2)
    }
    await wal.close()
  },
  recover: async (fs) => {
    await (await Wal.open(DIR, { fs })).close()
  },
})
