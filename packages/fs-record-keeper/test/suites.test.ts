import type { FileSystem } from '@quire/vfs'
import { storeLifecycleSuite } from '@quire/test-kit'
import { Depot, ObjectState, RecordKeeper } from '../src/index.js'

// The shared store-lifecycle suite of @quire/test-kit, run against both stores of the package:
// LOCKED on a second open, CLOSED after close, close idempotent, asyncDispose, POISONED after a
// failed sync with the first cause kept, and bad input writes nothing.
const DIR = '/store'

/** A canonical UUID per write number. */
const idOf = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`

async function eventIds(rk: RecordKeeper): Promise<string[]> {
  const ids: string[] = []
  for await (const event of rk.events()) ids.push(event.id)
  return ids
}

storeLifecycleSuite<RecordKeeper>({
  name: 'RecordKeeper',
  root: DIR,
  // A group's event files (and the link's temp file) are synced before the link is made.
  dataFiles: /\/rk\/events\//,
  open: (fs: FileSystem) => RecordKeeper.open(DIR, { fs }),
  close: (rk) => rk.close(),
  dispose: (rk) => rk[Symbol.asyncDispose](),
  write: (rk, i) => rk.add({ id: idOf(i), i }),
  writeInvalid: (rk) => rk.add({ id: 'not-a-uuid' }),
  read: eventIds,
})

/** The finalized objects among those the suite writes (ids 1 to 4). */
async function readableIds(depot: Depot): Promise<string[]> {
  const ids: string[] = []
  for (let i = 1; i <= 4; i++) if ((await depot.state(idOf(i))) === ObjectState.READABLE) ids.push(idOf(i))
  return ids
}

storeLifecycleSuite<Depot>({
  name: 'Depot',
  root: DIR,
  // reserve and finalize sync the object's `.wr` file.
  dataFiles: /\.wr$/,
  open: (fs: FileSystem) => Depot.open(DIR, { fs }),
  close: (depot) => depot.close(),
  dispose: (depot) => depot[Symbol.asyncDispose](),
  // One write is an object made READABLE: reserve, write, finalize.
  write: async (depot, i) => {
    await depot.reserve(idOf(i), 4)
    await depot.write(idOf(i), 0, new Uint8Array([i, i, i, i]))
    await depot.finalize(idOf(i))
  },
  writeInvalid: (depot) => depot.reserve('not-a-uuid', 4),
  read: readableIds,
})
