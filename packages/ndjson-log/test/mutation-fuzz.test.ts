import { checkMutationFuzz } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { beforeAll, describe, it } from 'vitest'
import { NdjsonLog, type RecoveryMode } from '../src/index.js'

const DIR = '/logs'
const PATH = `${DIR}/app.ndjson`
const written = new Set<string>()
const base = new SimFileSystem()

beforeAll(async () => {
  // An active file and archives (rotation), single appends and batches.
  const log = await NdjsonLog.open(PATH, { fs: base, maxFileBytes: 1024 })
  for (let i = 0; i < 40; i++) {
    const records = i % 6 === 2 ? [{ i, part: 1 }, { i, part: 2, s: 'x'.repeat(i) }] : [{ i, s: 'y'.repeat(i % 9) }]
    if (records.length > 1) await log.appendBatch(records)
    else await log.append(records[0]!)
    for (const r of records) written.add(JSON.stringify(r))
  }
  await log.close()
})

describe('mutation fuzzer at open: the active file and archives, flipped, cut, extended, swapped', () => {
  for (const recovery of ['strict', 'skip-corrupt', 'point-in-time'] as RecoveryMode[]) {
    it(`recovery '${recovery}': a typed CORRUPT/UNSUPPORTED_VERSION/NOT_NDJSON_LOG, or a log that shows only what was written`, async () => {
      await checkMutationFuzz(
        {
          base,
          root: DIR,
          open: (fs) => NdjsonLog.open(PATH, { fs, maxFileBytes: 1024, recovery }),
          readAll: async (log) => {
            const out: string[] = []
            for await (const e of log.read()) out.push(JSON.stringify(e.record))
            await log.append({ after: true })
            return out
          },
          close: (log) => log.close(),
          written,
          codes: ['CORRUPT', 'UNSUPPORTED_VERSION', 'NOT_NDJSON_LOG'],
        },
        { numRuns: 100 },
      )
    })
  }
})
