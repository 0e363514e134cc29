import { crc32 } from '@quire/codec'
import { SnapshotStore } from '@quire/snapshots'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { MvccStore } from '../src/index.js'

// Issue 13, fault 6: an older release must never delete, overwrite or truncate a file of a newer
// format version. The MVCC store refuses to open with UNSUPPORTED_VERSION, before it writes
// anything, when its newest checkpoint (or its WAL) was written by a newer release.

const SNAP_DIR = '/db/snapshots/k-6d766363'

async function storeWithCheckpoint(): Promise<SimFileSystem> {
  const fs = new SimFileSystem()
  const db = await MvccStore.open('/db', { fs })
  await db.transaction(async (tx) => tx.put('a', 1))
  await db.checkpoint()
  await db.transaction(async (tx) => tx.put('b', 2))
  await db.close()
  return fs
}

async function expectRefused(fs: SimFileSystem): Promise<void> {
  const before = fs.dump()
  const err = await MvccStore.open('/db', { fs }).catch((e: unknown) => e)
  expect(err).toMatchObject({ code: 'UNSUPPORTED_VERSION' })
  expect(fs.dump()).toBe(before)
}

describe('a newer release wrote the newest checkpoint', () => {
  it('a checkpoint of a newer schema (schemaVersion 2): UNSUPPORTED_VERSION, nothing changed', async () => {
    const fs = await storeWithCheckpoint()
    const snaps = await SnapshotStore.open('/db/snapshots', { fs, codec: 'raw' })
    await snaps.save('mvcc', { position: 1000, state: new Uint8Array([9, 9, 9]), schemaVersion: 2 })
    await snaps.close()
    await expectRefused(fs)
  })

  it('a checkpoint state of a newer layout version: UNSUPPORTED_VERSION, not CORRUPT', async () => {
    const fs = await storeWithCheckpoint()
    const snaps = await SnapshotStore.open('/db/snapshots', { fs, codec: 'raw' })
    const current = await snaps.load('mvcc')
    const state = (current!.state as Uint8Array).slice()
    state[8] = 2
    await snaps.save('mvcc', { position: current!.position + 1, state, schemaVersion: 1 })
    await snaps.close()
    await expectRefused(fs)
  })

  it('a checkpoint file of a newer snapshot format version: UNSUPPORTED_VERSION, the file left alone', async () => {
    const fs = await storeWithCheckpoint()
    const [name] = (await fs.readdir(SNAP_DIR)).filter((n) => n.endsWith('.snap'))
    const bytes = (await fs.readFile(`${SNAP_DIR}/${name!}`)).slice()
    new DataView(bytes.buffer).setUint16(8, 2, true)
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)) >>> 0, true)
    await fs.writeFile(`${SNAP_DIR}/00000000000003e8-00000000000000ff.snap`, bytes)
    await expectRefused(fs)
  })
})
