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

  it('starts inside a segment at a seq mark of recovery: the same entries from any seq, also after truncateBefore and new appends', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat(9000), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 60 }),
        fc.nat(300),
        fc.nat(300),
        fc.boolean(),
        async (requests, cut, from, appendAfter) => {
          const fs = new SimFileSystem()
          const wal = await Wal.open(DIR, { fs })
          const batches = await write(wal, requests)
          const floor = cut % (wal.lastSeq + 1)
          if (floor > 0) await wal.truncateBefore(floor)
          await wal.close()
          const reopened = await Wal.open(DIR, { fs })
          try {
            if (appendAfter) batches.push((await reopened.appendBatch([put('x'), put('y')])).map((e) => e.seq))
            const fromSeq = from % (reopened.lastSeq + 2)
            // What replay must give: every committed seq at or above fromSeq (and above the floor,
            // except that a batch the floor cuts through comes whole when replaying from the floor).
            const fromFloor = fromSeq <= floor + 1
            const expected = batches.flatMap((seqs) => {
              if (fromFloor) return seqs[seqs.length - 1]! > floor ? seqs : []
              return seqs.filter((s) => s >= fromSeq)
            })
            expect((await chunksOf(reopened, fromSeq)).flat().map((e) => e.seq)).toEqual(expected)
          } finally {
            await reopened.close()
          }
        },
      ),
      { numRuns: propertyRuns(30) },
    )
  })

  it('does not read again what lies before a seq mark in the segment it starts in', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    for (let i = 0; i < 40; i++) await wal.append(put(`k${i}`, 30_000))
    await wal.truncateBefore(30)
    await wal.close()
    const reopened = await Wal.open(DIR, { fs })
    const name = (await fs.readdir(DIR)).find((n) => n.endsWith('.wal'))!
    // Damage the first record once recovery has read it: a replay that read it again would fail.
    const handle = await fs.open(`${DIR}/${name}`, 'r+')
    await handle.write(Uint8Array.of(0xee), 40)
    await handle.close()
    expect((await chunksOf(reopened)).flat().map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 31 + i))
    expect((await chunksOf(reopened, 20)).flat()[0]!.seq).toBe(31)
    await reopened.close()
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

  it("never hands out the rest of a batch a damaged record breaks ('skip-corrupt'), before or after its damage", async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open(DIR, { fs })
    await wal.append(put('a'))
    const batch = await wal.appendBatch([put('b'), put('c'), put('d')])
    await wal.append(put('e'))
    await wal.close()
    const name = (await fs.readdir(DIR)).find((n) => n.endsWith('.wal'))!
    // The batch's second record ('c', seq 3): damage a byte of its value, so its CRC fails.
    const bytes = await fs.readFile(`${DIR}/${name}`)
    const at = bytes.findIndex((b, i) => i > 24 && b === 0x63 && bytes[i - 5] === 0x63)
    expect(at).toBeGreaterThan(24)
    const handle = await fs.open(`${DIR}/${name}`, 'r+')
    await handle.write(Uint8Array.of(0x00), at)
    await handle.close()
    expect(batch.map((e) => e.seq)).toEqual([2, 3, 4])
    const reopened = await Wal.open(DIR, { fs, recovery: 'skip-corrupt' })
    expect((await chunksOf(reopened)).flat().map((e) => e.seq)).toEqual([1, 5])
    await reopened.close()
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
