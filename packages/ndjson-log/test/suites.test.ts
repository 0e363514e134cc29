import type { FileSystem } from '@quire/vfs'
import { appendLogSuite, storeLifecycleSuite } from '@quire/test-kit'
import { InvalidRecordError, NdjsonCorruptError, NdjsonLog, type LogRecord, type NdjsonLogOptions } from '../src/index.js'
import { LOG } from './helpers.js'

// The shared suites of @quire/test-kit, run against the NDJSON log. Codes that differ from the
// shared ones are read from the log's own error classes, so the suites follow a rename.
const codes = {
  corrupt: new NdjsonCorruptError('x', 1, 'x').code,
  // Bad input is a bad record: its own code, with the path inside the record that is wrong.
  invalid: new InvalidRecordError('x', 'x').code,
}

type Log = NdjsonLog<LogRecord>
const open = (fs: FileSystem, options: Omit<NdjsonLogOptions, 'fs'> = {}): Promise<Log> =>
  // No preallocated free space: the torn-tail case cuts the data's last bytes, not the pad's.
  NdjsonLog.open(LOG, { fs, preallocateBytes: 0, maxFileBytes: 1024, ...options })

const readAll = async (log: Log): Promise<{ seq: number; value: string }[]> => {
  const out: { seq: number; value: string }[] = []
  for await (const e of log.read()) out.push({ seq: e.seq, value: String(e.record.v) })
  return out
}

storeLifecycleSuite<Log>({
  name: 'NdjsonLog',
  root: '/db',
  dataFiles: /\.ndjson$/,
  codes,
  open: (fs) => open(fs),
  close: (log) => log.close(),
  dispose: (log) => log[Symbol.asyncDispose](),
  write: (log, i) => log.append({ v: `v${i}` }),
  writeInvalid: (log) => log.append({ v: undefined }),
  read: readAll,
})

appendLogSuite<Log>({
  name: 'NdjsonLog',
  dataFiles: /\.ndjson$/,
  codes,
  supports: { batches: true, syncNone: true },
  open: (fs, options = {}) => open(fs, options),
  close: (log) => log.close(),
  append: async (log, value) => (await log.append({ v: value })).seq,
  appendBatch: async (log, values) => (await log.appendBatch(values.map((v) => ({ v })))).map((e) => e.seq),
  read: readAll,
})
