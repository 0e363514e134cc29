import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Depot, DepotError, DEPOT_BLOCK_BYTES, ObjectState } from '../src/index.js'

const DIR = '/store'

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    if (err instanceof DepotError) return err.code
    if (err instanceof Error && 'code' in err) return String(err.code)
    throw err
  }
  return 'OK'
}

function bytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

describe('Depot', () => {
  it('has gonk state values', () => {
    expect(ObjectState).toEqual({ NONEXISTENT: 1, READABLE: 2, WRITABLE: 4 })
  })

  it('reserves, writes, finalizes, reads and purges', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs })
    const id = randomUUID()
    const data = bytesOf(3 * DEPOT_BLOCK_BYTES + 17)
    expect(await depot.state(id)).toBe(ObjectState.NONEXISTENT)
    await depot.reserve(id, data.byteLength)
    expect(await depot.state(id)).toBe(ObjectState.WRITABLE)
    expect(await depot.exists(id)).toBe(true)
    await depot.write(id, 100, data.subarray(100))
    await depot.write(id, 0, data.subarray(0, 100))
    expect(await codeOf(depot.read(id, 0, 1))).toBe('NOT_READABLE')
    await depot.finalize(id)
    expect(await depot.state(id)).toBe(ObjectState.READABLE)
    expect(Buffer.from(await depot.read(id, 0, data.byteLength)).equals(data)).toBe(true)
    expect(await depot.read(id, DEPOT_BLOCK_BYTES - 3, 10)).toEqual(data.subarray(DEPOT_BLOCK_BYTES - 3, DEPOT_BLOCK_BYTES + 7))
    expect(await depot.read(id, data.byteLength, 0)).toEqual(new Uint8Array(0))
    expect(await codeOf(depot.write(id, 0, data.subarray(0, 1)))).toBe('NOT_WRITABLE')
    expect(await codeOf(depot.finalize(id))).toBe('NOT_WRITABLE')
    expect(await codeOf(depot.reserve(id, 1))).toBe('EXISTS')
    await depot.close()

    const again = await Depot.open(DIR, { fs })
    expect(Buffer.from(await again.read(id, 0, data.byteLength)).equals(data)).toBe(true)
    expect((await again.verify()).readable).toBe(1)
    await again.purge(id)
    expect(await again.state(id)).toBe(ObjectState.NONEXISTENT)
    expect(await codeOf(again.purge(id))).toBe('NOT_FOUND')
    await again.close()
  })

  it('handles empty objects', async () => {
    const depot = await Depot.open(DIR, { fs: new SimFileSystem() })
    const id = randomUUID()
    await depot.reserve(id, 0)
    await depot.finalize(id)
    expect(await depot.read(id, 0, 0)).toEqual(new Uint8Array(0))
    expect(await codeOf(depot.read(id, 0, 1))).toBe('OUT_OF_RANGE')
    await depot.close()
  })

  it('keeps writes inside [0, size) and reads inside the object', async () => {
    const depot = await Depot.open(DIR, { fs: new SimFileSystem() })
    const id = randomUUID()
    await depot.reserve(id, 10)
    expect(await codeOf(depot.write(id, 5, new Uint8Array(6)))).toBe('OUT_OF_RANGE')
    expect(await codeOf(depot.write(id, 11, new Uint8Array(0)))).toBe('OUT_OF_RANGE')
    await depot.write(id, 5, new Uint8Array(5).fill(7))
    await depot.finalize(id)
    expect(await depot.read(id, 0, 10)).toEqual(new Uint8Array([0, 0, 0, 0, 0, 7, 7, 7, 7, 7]))
    expect(await codeOf(depot.read(id, 8, 3))).toBe('OUT_OF_RANGE')
    await depot.close()
  })

  it('rejects bad input with INVALID_ARGUMENT before any write', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs, maxObjectBytes: 1000 })
    fs.resetStats()
    const id = randomUUID()
    expect(await codeOf(depot.reserve('../../etc', 1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(depot.reserve(id.toUpperCase(), 1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(depot.reserve(id, -1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(depot.reserve(id, 1.5))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(depot.reserve(id, 1001))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(depot.write(id, -1, new Uint8Array(1)))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(depot.write(id, 0, [1] as unknown as Uint8Array))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(depot.read(id, 0, -1))).toBe('INVALID_ARGUMENT')
    expect(fs.stats.writes + fs.stats.opens + fs.stats.mkdirs + fs.stats.truncates).toBe(0)
    expect(await codeOf(depot.write(id, 0, new Uint8Array(1)))).toBe('NOT_FOUND')
    expect(await codeOf(depot.finalize(id))).toBe('NOT_FOUND')
    expect(await codeOf(depot.read(id, 0, 0))).toBe('NOT_FOUND')
    await depot.close()
  })

  it('detects damage: read is CORRUPT, verify reports the object', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs })
    const id = randomUUID()
    const data = bytesOf(2 * DEPOT_BLOCK_BYTES)
    await depot.reserve(id, data.byteLength)
    await depot.write(id, 0, data)
    await depot.finalize(id)
    fs.corruptByte(`${DIR}/depot/${id[0]}/${id[1]}/${id[2]}/${id}`, DEPOT_BLOCK_BYTES + 5)
    expect(await depot.read(id, 0, 10)).toEqual(data.subarray(0, 10))
    expect(await codeOf(depot.read(id, DEPOT_BLOCK_BYTES, 1))).toBe('CORRUPT')
    const report = await depot.verify()
    expect(report.ok).toBe(false)
    expect(report.damaged).toHaveLength(1)
    await depot.close()
  })

  it('detects a damaged trailer', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs })
    const id = randomUUID()
    await depot.reserve(id, 5)
    await depot.write(id, 0, new Uint8Array([1, 2, 3, 4, 5]))
    await depot.finalize(id)
    fs.corruptByte(`${DIR}/depot/${id[0]}/${id[1]}/${id[2]}/${id}`, 5 + 4 + 14)
    expect(await codeOf(depot.read(id, 0, 5))).toBe('CORRUPT')
    await depot.close()
  })

  it('is single-writer per directory, and lives next to a record keeper', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs })
    expect(await codeOf(Depot.open(DIR, { fs }))).toBe('LOCKED')
    const { RecordKeeper } = await import('../src/index.js')
    const rk = await RecordKeeper.open(DIR, { fs })
    await rk.close()
    await depot.close()
    await depot.close()
    expect(await codeOf(depot.state(randomUUID()))).toBe('CLOSED')
  })

  it('is poisoned after a failed sync', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs })
    const id = randomUUID()
    await depot.reserve(id, 4)
    const fault = fs.injectFault({ op: 'sync', error: 'EIO' })
    expect(await codeOf(depot.finalize(id))).toBe('POISONED')
    fault.remove()
    expect(await codeOf(depot.reserve(randomUUID(), 1))).toBe('POISONED')
    await depot.close()
    const again = await Depot.open(DIR, { fs })
    expect(await again.state(id)).toBe(ObjectState.WRITABLE)
    await again.finalize(id)
    expect(await again.read(id, 0, 4)).toEqual(new Uint8Array(4))
    await again.close()
  })

  it('an object finalized after a failed sync and a reopen reads back intact after a power loss (regression)', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs })
    const id = randomUUID()
    await depot.reserve(id, 4)
    await depot.write(id, 0, new Uint8Array([1, 2, 3, 4]))
    const fault = fs.injectFault({ op: 'sync', error: 'EIO' })
    expect(await codeOf(depot.finalize(id))).toBe('POISONED')
    fault.remove()
    await depot.close().catch(() => undefined)
    const again = await Depot.open(DIR, { fs })
    await again.finalize(id)
    await again.close()
    for (const image of fs.crashImages({ max: 200 })) {
      const reopened = await Depot.open(DIR, { fs: image })
      expect([...(await reopened.read(id, 0, 4))]).toEqual([1, 2, 3, 4])
      await reopened.close()
    }
  })

  it('a failed write is a typed POISONED error, and so is every later write (regression)', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs })
    const id = randomUUID()
    await depot.reserve(id, 8)
    fs.injectFault({ op: 'write', error: 'ENOSPC', partial: true })
    expect(await codeOf(depot.write(id, 0, new Uint8Array(8).fill(7)))).toBe('POISONED')
    expect(await codeOf(depot.finalize(id))).toBe('POISONED')
  })

  it('serialises operations on one id: of two concurrent reserves, one gets EXISTS', async () => {
    const depot = await Depot.open(DIR, { fs: new SimFileSystem() })
    const id = randomUUID()
    const codes = await Promise.all([codeOf(depot.reserve(id, 4)), codeOf(depot.reserve(id, 4))])
    expect(codes.sort()).toEqual(['EXISTS', 'OK'])
    const steps = await Promise.all([
      codeOf(depot.write(id, 0, new Uint8Array([1, 2, 3, 4]))),
      codeOf(depot.finalize(id)),
      codeOf(depot.write(id, 0, new Uint8Array([9]))),
    ])
    expect(steps).toEqual(['OK', 'OK', 'NOT_WRITABLE'])
    expect(await depot.read(id, 0, 4)).toEqual(new Uint8Array([1, 2, 3, 4]))
    await depot.close()
  })

  it('treats a torn reservation as NONEXISTENT and replaces it', async () => {
    const fs = new SimFileSystem()
    const depot = await Depot.open(DIR, { fs })
    const id = '62af3937-4c5b-405b-a170-6ef12a5e246a'
    await depot.reserve(id, 100)
    await depot.close()
    // A .wr file whose length fits no object size: what a crash mid-reserve can leave.
    await fs.writeFile(`${DIR}/depot/6/2/a/${id}.wr`, new Uint8Array(7))
    const again = await Depot.open(DIR, { fs })
    expect(await again.state(id)).toBe(ObjectState.NONEXISTENT)
    expect((await again.verify()).tornReservations).toHaveLength(1)
    await again.reserve(id, 3)
    await again.write(id, 0, new Uint8Array([4, 5, 6]))
    await again.finalize(id)
    expect(await again.read(id, 0, 3)).toEqual(new Uint8Array([4, 5, 6]))
    expect((await again.verify()).ok).toBe(true)
    await again.close()
  })

  it('uses gonk layout on a real disk: depot/a/b/c/<uuid>.wr then <uuid>', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'depot-layout-'))
    try {
      const depot = await Depot.open(dir)
      const id = '62af3937-4c5b-405b-a170-6ef12a5e246a'
      await depot.reserve(id, 3)
      expect(await readdir(join(dir, 'depot/6/2/a'))).toEqual([`${id}.wr`])
      await depot.write(id, 0, new Uint8Array([1, 2, 3]))
      await depot.finalize(id)
      expect(await readdir(join(dir, 'depot/6/2/a'))).toEqual([id])
      expect(await depot.read(id, 1, 2)).toEqual(new Uint8Array([2, 3]))
      await depot.close()
      expect((await Depot.verify(dir)).ok).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
