import { SnapshotStore } from '@quire/snapshots'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { MvccStore } from '../src/index.js'

// Issue 13, known debt: with sync 'none', a power loss inside a checkpoint (the snapshot durable,
// the WAL's own sync not yet done) took back WAL entries whose seqs the reopened WAL then gave to
// new commits. If the newest checkpoint is later damaged too, recovery fell back to the older one
// and silently missed a commit. Seqs must never be reused: the double fault must end in the commit
// being there or in CORRUPT, never in a state without it.

const SNAP_DIR = '/db/snapshots/k-6d766363'

async function walSeqOfNewestCheckpoint(fs: SimFileSystem): Promise<number> {
  const snaps = await SnapshotStore.open('/db/snapshots', { fs: fs.clone(), codec: 'raw' })
  const s = await snaps.load('mvcc')
  await snaps.close()
  if (s === undefined) return 0
  const view = new DataView((s.state as Uint8Array).buffer, (s.state as Uint8Array).byteOffset)
  return view.getUint32(24, true) + view.getUint32(28, true) * 2 ** 32
}

async function before(fs: SimFileSystem): Promise<MvccStore> {
  const db = await MvccStore.open('/db', { fs, sync: 'none' })
  for (let i = 1; i <= 3; i++) await db.transaction(async (tx) => tx.put(`k${i}`, i))
  await db.checkpoint()
  for (let i = 4; i <= 5; i++) await db.transaction(async (tx) => tx.put(`k${i}`, i))
  return db
}

describe('sync none: a power loss inside a checkpoint never leads to reused seqs', () => {
  it('at every crash point of a checkpoint, then a commit and a checkpoint, then the newest checkpoint damaged', async () => {
    const dry = new SimFileSystem()
    const dryDb = await before(dry)
    const from = dry.opCount
    await dryDb.checkpoint()
    const checkpointOps = dry.opCount - from
    await dryDb.close()
    let reuseSituations = 0
    for (let n = 0; n <= checkpointOps; n++) {
      const sim = new SimFileSystem()
      const db = await before(sim)
      sim.haltAfter(n)
      await db.checkpoint().catch(() => undefined)
      await db.close().catch(() => undefined)
      const image = sim.crash(n + 1)
      const floorBefore = await walSeqOfNewestCheckpoint(image)
      // The next life: a commit, acknowledged, and a checkpoint that completes.
      const next = await MvccStore.open('/db', { fs: image, sync: 'none' })
      await next.transaction(async (tx) => tx.put('after', 'crash'))
      const cp = await next.checkpoint()
      await next.close()
      // Seqs are never given twice: the new checkpoint's WAL position is past every earlier one.
      expect(cp.position, `crash after ${n} ops of the checkpoint`).toBeGreaterThan(floorBefore)
      if (floorBefore > 0) reuseSituations++
      // The second fault: the newest checkpoint damaged at rest.
      const newest = (await image.readdir(SNAP_DIR)).filter((f) => f.endsWith('.snap')).sort().at(-1)!
      image.corruptByte(`${SNAP_DIR}/${newest}`, 40)
      const outcome = await MvccStore.open('/db', { fs: image, sync: 'none' }).then(
        async (db2) => {
          const value = await db2.transaction(async (tx) => tx.get('after'), { readOnly: true })
          await db2.close()
          return value
        },
        (err: unknown) => (err as { code?: string }).code,
      )
      // Never a state that silently lacks the acknowledged commit.
      expect(['crash', 'CORRUPT'], `crash after ${n} ops of the checkpoint`).toContain(outcome)
    }
    expect(reuseSituations).toBeGreaterThan(0)
  })
})
