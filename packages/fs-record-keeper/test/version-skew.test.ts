import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Depot, RecordKeeper } from '../src/index.js'

// Issue 13, fault 6: an older release must never delete, overwrite or truncate a file of a newer
// format version. The record keeper and the depot refuse to open with UNSUPPORTED_VERSION and
// change nothing.

const ID = '11111111-0000-4000-8000-000000000000'
const ORPHAN = '22222222-0000-4000-8000-000000000000'

async function expectRefused(fs: SimFileSystem, open: () => Promise<unknown>): Promise<void> {
  const before = fs.dump()
  const err = await open().catch((e: unknown) => e)
  expect(err).toMatchObject({ code: 'UNSUPPORTED_VERSION' })
  expect(fs.dump()).toBe(before)
}

describe('stores of a newer format version', () => {
  it('RecordKeeper: rk/FORMAT of version 3 is UNSUPPORTED_VERSION, not CORRUPT', async () => {
    const fs = new SimFileSystem()
    await (await RecordKeeper.open('/s', { fs })).close()
    await fs.writeFile('/s/rk/FORMAT', new TextEncoder().encode('quire-fs-record-keeper 3\n'))
    await expectRefused(fs, () => RecordKeeper.open('/s', { fs }))
  })

  it('Depot: depot/FORMAT of version 2 is UNSUPPORTED_VERSION, not CORRUPT', async () => {
    const fs = new SimFileSystem()
    await (await Depot.open('/s', { fs })).close()
    await fs.writeFile('/s/depot/FORMAT', new TextEncoder().encode('quire-fs-depot 2\n'))
    await expectRefused(fs, () => Depot.open('/s', { fs }))
  })

  it('RecordKeeper: an event file of a newer format not on the chain is refused, never removed as an orphan', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open('/s', { fs })
    await rk.add({ id: ID, n: 1 })
    await rk.close()
    await fs.mkdir('/s/rk/events/2/2/2', { recursive: true })
    const newer = `{"format":"quire-rk-event/2","id":"${ORPHAN}","next":null,"event":{"id":"${ORPHAN}"},"sig":"abc"}\n`
    await fs.writeFile(`/s/rk/events/2/2/2/${ORPHAN}`, new TextEncoder().encode(newer))
    await expectRefused(fs, () => RecordKeeper.open('/s', { fs }))
    expect(new TextDecoder().decode(await fs.readFile(`/s/rk/events/2/2/2/${ORPHAN}`))).toBe(newer)
  })
})
