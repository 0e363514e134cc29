import type { FileSystem } from '@quire/vfs'
import { appendLogSuite, storeLifecycleSuite } from '@quire/test-kit'
import { Wal, WalClosedError, WalCorruptError, WalPoisonedError, WalWriteError, type WalOptions } from '../src/index.js'
import { DIR, collect, dec, enc } from './helpers.js'

// The shared suites of @quire/test-kit, run against the WAL. Codes are read from the WAL's own
// error classes, so that the suites follow a rename of a code rather than hide it.
const codes = {
  poisoned: new WalPoisonedError(undefined).code,
  writeFailed: new WalWriteError(undefined).code,
  corrupt: new WalCorruptError('x', 0, 'x').code,
  closed: new WalClosedError().code,
}

const open = (fs: FileSystem, options: Omit<WalOptions, 'fs'> = {}): Promise<Wal> => Wal.open(DIR, { fs, segmentBytes: 1024, ...options })

storeLifecycleSuite<Wal>({
  name: 'Wal',
  root: DIR,
  dataFiles: /\.wal$/,
  codes,
  open: (fs) => open(fs),
  close: (wal) => wal.close(),
  dispose: (wal) => wal[Symbol.asyncDispose](),
  write: (wal, i) => wal.append({ op: 'put', key: enc(`k${i}`), value: enc(`v${i}`) }),
  writeInvalid: (wal) => wal.append({ op: 'put', key: 'not bytes' as unknown as Uint8Array, value: enc('v') }),
  read: async (wal) => (await collect(wal)).map((e) => [e.seq, dec(e.key), dec(e.value)]),
})

appendLogSuite<Wal>({
  name: 'Wal',
  dataFiles: /\.wal$/,
  codes,
  supports: { batches: true, syncNone: true },
  open: (fs, options = {}) => open(fs, options),
  close: (wal) => wal.close(),
  append: async (wal, value) => (await wal.append({ op: 'put', key: enc('k'), value: enc(value) })).seq,
  appendBatch: async (wal, values) => (await wal.appendBatch(values.map((v) => ({ op: 'put' as const, key: enc('k'), value: enc(v) })))).map((e) => e.seq),
  read: async (wal) => (await collect(wal)).map((e) => ({ seq: e.seq, value: dec(e.value) ?? '' })),
})
