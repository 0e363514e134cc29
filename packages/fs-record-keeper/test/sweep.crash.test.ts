import { sweepAfterCrashSuite } from '@quire/test-kit'
import { Depot, RecordKeeper } from '../src/index.js'

// Issue 13, fault 4: temp files of interrupted replaces are swept at open; after recovery from a
// crash at any point the directory holds only the store's own files.

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const id = (n: number): string => `${String(n).repeat(8).slice(0, 8)}-0000-4000-8000-000000000000`

sweepAfterCrashSuite({
  name: 'RecordKeeper',
  what: 'adds',
  dir: '/s',
  own: [/^rk\/$/, /^rk\/(FORMAT|head|tail|events\/)$/, /^rk\/events\/([0-9a-f]\/){1,3}$/, new RegExp(`^rk/events/[0-9a-f]/[0-9a-f]/[0-9a-f]/${UUID}$`)],
  workload: async (fs) => {
    const rk = await RecordKeeper.open('/s', { fs })
    for (let i = 1; i <= 4; i++) await rk.add({ id: id(i), n: i })
    await rk.close()
  },
  recover: async (fs) => {
    await (await RecordKeeper.open('/s', { fs })).close()
  },
})

sweepAfterCrashSuite({
  name: 'Depot',
  what: 'reserve, write, finalize and purge',
  dir: '/s',
  own: [/^depot\/$/, /^depot\/FORMAT$/, /^depot\/([0-9a-f]\/){1,3}$/, new RegExp(`^depot/[0-9a-f]/[0-9a-f]/[0-9a-f]/${UUID}(\\.wr)?$`)],
  workload: async (fs) => {
    const depot = await Depot.open('/s', { fs })
    await depot.reserve(id(1), 10)
    await depot.write(id(1), 0, new Uint8Array(10).fill(1))
    await depot.finalize(id(1))
    await depot.reserve(id(2), 5)
    await depot.purge(id(2))
    await depot.close()
  },
  recover: async (fs) => {
    await (await Depot.open('/s', { fs })).close()
  },
})
