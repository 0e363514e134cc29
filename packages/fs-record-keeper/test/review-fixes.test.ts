import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { Depot, RecordKeeper } from '../src/index.js'

// Regressions for bugs found in review: each of these failed before its fix.
const codeOf = (p: Promise<unknown>): Promise<string> => p.then(() => 'OK', (e: { code?: string }) => e.code ?? 'ERROR')

describe('review regressions', () => {
  it('an object finalized after a failed sync and a reopen reads back intact after a power loss', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open('/store', { fs })
    const id = randomUUID()
    await depot.reserve(id, 4)
    await depot.write(id, 0, new Uint8Array([1, 2, 3, 4]))
    const fault = fs.injectFault({ op: 'sync', error: 'EIO' })
    expect(await codeOf(depot.finalize(id))).toBe('POISONED')
    fault.remove()
    await depot.close().catch(() => undefined)
    const again = await Depot.open('/store', { fs })
    await again.finalize(id)
    await again.close()
    for (const image of fs.crashImages({ max: 200 })) {
      const reopened = await Depot.open('/store', { fs: image })
      expect([...(await reopened.read(id, 0, 4))]).toEqual([1, 2, 3, 4])
      await reopened.close()
    }
  })

  it('a missing head is CORRUPT, not a history of orphans to delete', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open('/store', { fs })
    for (let i = 0; i < 3; i++) await rk.add({ id: randomUUID() })
    await rk.close()
    await fs.unlink('/store/rk/head')
    await fs.syncDir('/store/rk')
    expect(await codeOf(RecordKeeper.open('/store', { fs }))).toBe('CORRUPT')
  })

  it('a failed depot write is a typed POISONED error', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open('/store', { fs })
    const id = randomUUID()
    await depot.reserve(id, 8)
    fs.injectFault({ op: 'write', error: 'ENOSPC', partial: true })
    expect(await codeOf(depot.write(id, 0, new Uint8Array(8).fill(7)))).toBe('POISONED')
    expect(await codeOf(depot.finalize(id))).toBe('POISONED')
  })
})
