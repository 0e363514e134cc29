import { SimFileSystem } from '@quire/vfs/sim'
import { msgpackCodec } from '@quire/codec'
import { Wal } from '@quire/wal'
import { describe, expect, it } from 'vitest'
import { MvccStore } from '../src/index.js'
import { commitBatch } from '../src/commit-format.js'
import { collect } from './helpers.js'

// Recovery starts its replay after the checkpoint's WAL position only when the log proves that
// safe, and keeps the timestamp rule for logs a release before minLastSeq wrote (issue 17).

const DIR = '/db'

async function state(fs: SimFileSystem): Promise<[string, unknown][]> {
  const db = await MvccStore.open(DIR, { fs })
  try {
    return await collect(db.begin({ readOnly: true }).scan())
  } finally {
    await db.close()
  }
}

/** A store with commits a, b, c (timestamps 1..3, WAL seqs 1..6) and a checkpoint of them. */
async function checkpointed(fs: SimFileSystem, beforeCheckpoint?: () => Promise<void>): Promise<void> {
  const db = await MvccStore.open(DIR, { fs })
  for (const key of ['a', 'b', 'c']) await db.transaction(async (tx) => tx.put(key, key))
  await beforeCheckpoint?.()
  expect(await db.checkpoint()).toMatchObject({ commitTs: 3, position: 6 })
  await db.close()
}

describe('recovery from the checkpoint position', () => {
  it('a checkpoint whose WAL truncation never happened: the commits after it, none twice', async () => {
    const fs = new SimFileSystem()
    // As if the process died between the snapshot and truncateBefore: the WAL as it was before the
    // checkpoint (no floor, seqs 1..6 still there; truncateBefore's roll and unlink never happened).
    const wal = `${DIR}/wal`
    const before = new Map<string, Uint8Array>()
    await checkpointed(fs, async () => {
      for (const name of await fs.readdir(wal)) if (name !== 'LOCK') before.set(name, await fs.readFile(`${wal}/${name}`))
    })
    for (const name of await fs.readdir(wal)) await fs.unlink(`${wal}/${name}`)
    for (const [name, bytes] of before) {
      const handle = await fs.open(`${wal}/${name}`, 'wx')
      await handle.write(bytes, 0)
      await handle.sync()
      await handle.close()
    }
    const db = await MvccStore.open(DIR, { fs })
    await db.transaction(async (tx) => tx.put('d', 'd'))
    await db.close()
    expect(await state(fs)).toEqual([['a', 'a'], ['b', 'b'], ['c', 'c'], ['d', 'd']])
  })

  it('a log an older release wrote after losing the entries up to the checkpoint: its commits at seqs at or below the position are replayed', async () => {
    const fs = new SimFileSystem()
    await checkpointed(fs)
    // What a release before minLastSeq left after a power loss under sync 'none' took the WAL back
    // to nothing: the checkpoint (timestamp 3, WAL seq 6) survived, and new commits (timestamps
    // 4..8) got seqs 1..10 again, so seq 6 holds the commit info of timestamp 6.
    for (const name of await fs.readdir(`${DIR}/wal`)) await fs.unlink(`${DIR}/wal/${name}`)
    const wal = await Wal.open(`${DIR}/wal`, { fs })
    for (const [i, key] of ['d', 'e', 'f', 'g', 'h'].entries()) {
      await wal.appendBatch(commitBatch(4 + i, new Map([[key, msgpackCodec.encode(key)]])))
    }
    expect(wal.lastSeq).toBe(10)
    await wal.close()
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    expect(await state(fs)).toEqual(keys.map((k) => [k, k]))
  })
})
