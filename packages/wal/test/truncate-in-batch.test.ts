import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { DIR, collect, enc } from './helpers.js'

// Issue 13, known debt: truncateBefore(seq) with seq inside a batch must never leave half a batch
// visible to replay, whatever seq it was given; nothing above seq may be lost either.

const put = (k: string) => ({ op: 'put' as const, key: enc(k), value: enc(k) })

describe('truncateBefore inside a batch', () => {
  it.each([1, 2, 3, 4, 5, 6])('truncateBefore(%i): replay shows whole batches only, and every entry above it, before and after reopen', async (seq) => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    await wal.append(put('a')) // 1
    await wal.appendBatch([put('b'), put('c'), put('d')]) // 2..4
    await wal.appendBatch([put('e'), put('f')]) // 5..6
    await wal.append(put('g')) // 7
    await wal.truncateBefore(seq)
    const boundaries = [0, 1, 4, 6, 7]
    // Whole requests only: the replay starts at a boundary, the last one at or below seq.
    const start = Math.max(...boundaries.filter((b) => b <= seq)) + 1
    const expected = Array.from({ length: 7 - start + 1 }, (_, i) => start + i)
    expect((await collect(wal)).map((e) => e.seq)).toEqual(expected)
    await wal.close()
    const reopened = await Wal.open(DIR, { fs })
    expect((await collect(reopened)).map((e) => e.seq)).toEqual(expected)
    await reopened.close()
  })
})
