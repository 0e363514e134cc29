import { AppendFailedError, ClosedError, InvalidArgumentError, StorePoisonedError, type EventStore } from '@quire/event-store'
import { storeLifecycleSuite } from '@quire/test-kit'
import { freshSchema, openStore } from './support/stores.js'

/*
 * The shared store-lifecycle suite of @quire/test-kit on PostgreSQL. The suite names a store by
 * the simulated file system it opens on; here each file system stands for one fresh schema of
 * the test server (test/global-setup.ts), so two opens on one file system are two opens of one
 * store. Honest differences, declared in `supports`:
 * - exclusiveOpen: false. Any number of processes open one PostgreSQL store at once (there is no
 *   directory lock, by design): the suite checks that a second open works and sees the first's
 *   acknowledged events instead of LOCKED.
 * - poisonOnFailedSync: false. The server syncs its own WAL; no fdatasync of this process can
 *   fail (a lost connection does not poison: conformance.test.ts, `poisonsAfterUnknownOutcome`).
 * Nothing touches the file system, so "bad input writes nothing" is checked by what the store
 * reads back (the disk-state half of that case sees an empty tree on both sides).
 */
const schemas = new WeakMap<object, string>()
const schemaOf = (fs: object): string => {
  let schema = schemas.get(fs)
  if (schema === undefined) {
    schema = freshSchema('lifecycle')
    schemas.set(fs, schema)
  }
  return schema
}

storeLifecycleSuite<EventStore>({
  name: 'EventStore (postgres backend)',
  root: '/unused',
  dataFiles: /^$/,
  codes: {
    poisoned: new StorePoisonedError(undefined).code,
    closed: new ClosedError().code,
    invalid: new InvalidArgumentError('x').code,
    failedSync: new AppendFailedError('x').code,
  },
  supports: { exclusiveOpen: false, poisonOnFailedSync: false },
  open: (fs) => openStore(schemaOf(fs)),
  close: (store) => store.close(),
  dispose: (store) => store[Symbol.asyncDispose](),
  write: (store, i) => store.appendToStream(`account-${i}`, { type: 'Opened', data: { i } }),
  writeInvalid: (store) => store.appendToStream('', { type: 'Opened', data: {} }),
  read: async (store) => {
    const out: unknown[] = []
    for await (const e of store.readAll()) out.push([e.streamName, e.revision, e.type, e.data])
    return out
  },
})
