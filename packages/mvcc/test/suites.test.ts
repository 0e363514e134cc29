import { storeLifecycleSuite } from '@quire/test-kit'
import { ClosedError, CommitFailedError, InvalidArgumentError, MvccStore } from '../src/index.js'
import { collect } from './helpers.js'

// The shared store-lifecycle suite of @quire/test-kit, run against the MVCC store. Codes are read
// from the store's own error classes, so that the suite follows a rename of a code rather than
// hide it.
const DIR = '/db'

storeLifecycleSuite<MvccStore>({
  name: 'MvccStore',
  root: DIR,
  // A commit is acknowledged after the WAL's fdatasync: a failing one there must poison.
  dataFiles: /\.wal$/,
  codes: {
    poisoned: new CommitFailedError('x').code,
    closed: new ClosedError().code,
    invalid: new InvalidArgumentError('x').code,
  },
  open: (fs) => MvccStore.open(DIR, { fs }),
  close: (db) => db.close(),
  dispose: (db) => db[Symbol.asyncDispose](),
  write: (db, i) => db.transaction((tx) => tx.put(`k${i}`, `v${i}`)),
  // An empty key: refused by put, so the transaction aborts and nothing reaches the WAL.
  writeInvalid: (db) => db.transaction((tx) => tx.put('', 'v')),
  read: async (db) => {
    const tx = db.begin({ readOnly: true })
    try {
      return await collect(tx.scan())
    } finally {
      await tx.abort()
    }
  },
})
