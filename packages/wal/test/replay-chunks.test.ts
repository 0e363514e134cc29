import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal, type WalEntry, type WalOp } from '../src/index.js'
import { DIR, collect, enc, plain } from './helpers.js'

// Wal.replayChunks: the bulk replay mvcc's recovery reads (issue 17).

const put = (k: string, size = 1): WalOp => ({ op: 'put', key: enc(k), value: new Uint8Array(size).fill(k.charCodeAt(0)) })

async function chunksOf(wal: Wal, fromSeq?: number): Promise<WalEntry[][]> {
  const out: WalEntry[][] = []
  for await (const chunk of wal.replayChunks(fromSeq === undefined ? {} : { fromSeq })) out.push(chunk)
  return out
}

/** A request: one append (a single key) or one batch (several). */
const arbRequests = fc.array(fc.array(fc.nat(400), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 40 })

async function write(wal: Wal, requests: number[][]): Promise<number[][]> {
  const seqs: number[][] = []
  for (const [i, sizes] of requests.entries()) {
    if (sizes.length === 1) seqs.push([(await wal.append(put(`k${i}`, sizes[0]))).seq])
    else seqs.push((await wal.appendBatch(sizes.map((size, j) => put(`k${i}.${j}`, size)))).map((e) => e.seq))
  }
  return seqs
}

describe('Wal.replayChunks', () => {
  it('hands out what replay yields, in non-empty arrays, each batch inside one array, from any seq across segments', async () => {
    await checkProperty(
      fc.asyncProperty(arbRequests, fc.nat(200), fc.constantFrom(1024, 4096, 1 << 20), async (requests, from, segmentBytes) => {
        const fs = new SimFileSystem()
        const wal = await Wal.open(DIR, { fs, segmentBytes })
        const batches = await write(wal, requests)
        await wal.close()
        const reopened = await Wal.open(DIR, { fs, segmentBytes })
        try {
          const fromSeq = from % (reopened.lastSeq + 2)
          const chunks = await chunksOf(reopened, fromSeq)
          for (const chunk of chunks) expect(chunk.length).toBeGreaterThan(0)
          const flat = chunks.flat()
          expect(flat.map(plain)).toEqual((await collect(reopened, fromSeq)).map(plain))
          expect(flat.map((e) => e.seq)).toEqual(batches.flat().filter((s) => s >= fromSeq))
          // A batch is never split between two arrays.
          const chunkOf = new Map<number, number>()
          chunks.forEach((chunk, c) => {
            for (const e of chunk) chunkOf.set(e.seq, c)
          })
          for (const seqs of batches) {
            const where = new Set(seqs.filter((s) => s >= fromSeq).map((s) => chunkOf.get(s)))
            expect(where.size).toBeLessThanOrEqual(1)
          }
        } finally {
          await reopened.close()
        }
      }),
      { numRuns: propertyRuns(40) },
    )
  })

  it('seeks past whole segments: a replay from a later segment reads none of the earlier ones', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
    for (let i = 0; i < 60; i++) await wal.append(put(`k${i}`, 100))
    const segments = (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal')).sort()
    expect(segments.length).toBeGreaterThan(3)
    const third = Number(segments[2]!.slice(0, 20))
    // Damage the first segment's first record: a replay that read it would fail.
    const path = `${DIR}/${segments[0]!}`
    const bytes = await fs.readFile(path)
    bytes[40] = bytes[40]! ^ 0xff
    const handle = await fs.open(path, 'r+')
    await handle.write(bytes.subarray(40, 41), 40)
    await handle.close()
    expect((await chunksOf(wal, third)).flat()[0]!.seq).toBe(third)
    await expect(chunksOf(wal, 1)).rejects.toMatchObject({ code: 'CORRUPT' })
    await wal.close()
  })

  it('never hands out the records of a batch whose COMMIT is missing (a torn tail), in any mode', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    await wal.append(put('a'))
    await wal.appendBatch([put('b'), put('c'), put('d')])
    await wal.close()
    const name = (await fs.readdir(DIR)).find((n) => n.endsWith('.wal'))!
    const size = (await fs.stat(`${DIR}/${name}`)).size
    // Cut the COMMIT frame (22 bytes) off: the batch's records are there, their COMMIT is not.
    const handle = await fs.open(`${DIR}/${name}`, 'r+')
    await handle.truncate(size - 22)
    await handle.close()
    for (const readOnly of [true, false]) {
      const reopened = await Wal.open(DIR, { fs, readOnly })
      expect((await chunksOf(reopened)).flat().map((e) => e.seq)).toEqual([1])
      await reopened.close()
    }
  })

  it('hands out arrays and views the caller may keep: later chunks never overwrite them', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    // About 1 MiB of values: several read chunks of 256 KiB.
    for (let i = 0; i < 64; i++) await wal.appendBatch(Array.from({ length: 4 }, (_, j) => put(String.fromCharCode(65 + ((i * 4 + j) % 26)), 4096)))
    const kept: WalEntry[][] = []
    for await (const chunk of wal.replayChunks()) kept.push(chunk)
    expect(kept.length).toBeGreaterThan(2)
    const all = kept.flat()
    expect(all).toHaveLength(256)
    for (const [i, e] of all.entries()) {
      const c = 65 + (i % 26)
      expect(e.key).toEqual(Uint8Array.of(c))
      expect(e.value!.every((b) => b === c)).toBe(true)
    }
    await wal.close()
  })

  it('checks its options like replay, and refuses after close', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    await wal.append(put('a'))
    await expect(wal.replayChunks({ fromSeq: -1 }).next()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(wal.replayChunks({ from: 1 } as never).next()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await wal.close()
    await expect(wal.replayChunks().next()).rejects.toMatchObject({ code: 'CLOSED' })
  })
})
