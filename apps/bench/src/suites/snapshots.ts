import { close, fdatasync, fsync, open, write } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { msgpackCodec } from '@quire/codec'
import { SnapshotStore } from '@quire/snapshots'
import { timeOps, type BenchRow, type BenchSuite } from '../harness.js'

// The durable floor is written on the callback API, as NodeFileSystem is, so the comparison
// measures what Quire adds (framing, CRC, the temp-name dance, pruning), not two Node APIs.
const openP = promisify(open)
const writeP = promisify(write)
const fdatasyncP = promisify(fdatasync)
const fsyncP = promisify(fsync)
const closeP = promisify(close)

/** The durable atomic replace, by hand: open, write, fdatasync, close, rename, fsync the directory. */
async function durableReplace(dir: string, path: string, data: Uint8Array, tempId = 0): Promise<void> {
  const temp = `${path}.${tempId}.tmp`
  const fd = await openP(temp, 'w')
  let done = 0
  while (done < data.byteLength) done += (await writeP(fd, data, done, data.byteLength - done, done)).bytesWritten
  await fdatasyncP(fd)
  await closeP(fd)
  await rename(temp, path)
  const dirFd = await openP(dir, 'r')
  await fsyncP(dirFd)
  await closeP(dirFd)
}

function bytesOf(size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (i * 2654435761) >>> 24
  return out
}

/** A structured state whose msgpack encoding is about `size` bytes: records, as an aggregate would hold. */
function objectOf(size: number): { accounts: { id: string; owner: string; balance: number; open: boolean }[] } {
  const accounts = []
  for (let i = 0; accounts.length * 48 < size; i++) {
    accounts.push({ id: `acct-${i.toString().padStart(8, '0')}`, owner: `owner ${i % 977}`, balance: i * 3, open: i % 7 !== 0 })
  }
  return { accounts }
}

/** One measured subject: `op(i)` is one operation (awaited); `bytes` per operation for MB/s. */
interface Subject {
  readonly subject: string
  readonly op: (i: number) => Promise<unknown>
  readonly bytesPerOp?: number
  readonly baseline?: boolean
  readonly note?: string
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const ms = (seconds: number): string => (seconds * 1e3).toFixed(seconds < 0.01 ? 2 : 1)

/**
 * Runs the subjects of one group interleaved, so that a noisy neighbour or a disk flush hits them
 * alike. One at a time (`concurrency` 1), the subjects take turns operation by operation
 * (A B C A B C ...), every operation is timed, and a row's rate is 1 / median latency — robust
 * against the stalls of a shared machine — with p50/p99 in the note. With concurrency, the
 * subjects take turns in rounds and the rate is operations over total time.
 */
async function interleaved(group: string, subjects: readonly Subject[], totalOps: number, concurrency = 1): Promise<BenchRow[]> {
  const rounds = 10
  const perRound = Math.max(1, Math.floor(totalOps / rounds))
  const latencies = subjects.map((): number[] => [])
  const totals = subjects.map(() => 0)
  let next = 0
  for (const s of subjects) for (let i = 0; i < 3; i++) await s.op(next++) // warm up
  if (concurrency === 1) {
    // One operation of each subject in turn: A B C A B C ...
    for (let i = 0; i < perRound * rounds; i++) {
      for (const [j, s] of subjects.entries()) {
        const started = process.hrtime.bigint()
        await s.op(next++)
        latencies[j]!.push(Number(process.hrtime.bigint() - started) / 1e9)
      }
    }
  } else {
    for (let round = 0; round < rounds; round++) {
      for (const [j, s] of subjects.entries()) {
        const base = next
        next += perRound
        totals[j]! += (await timeOps(perRound, concurrency, (i) => s.op(base + i))).seconds
      }
    }
  }
  const ops = perRound * rounds
  return subjects.map((s, j) => {
    const sorted = latencies[j]!.sort((a, b) => a - b)
    const p50 = sorted.length > 0 ? quantile(sorted, 0.5) : 0
    const latency = sorted.length > 0 ? `p50 ${ms(p50)} ms, p99 ${ms(quantile(sorted, 0.99))} ms` : undefined
    const note = [latency, s.note].filter((x) => x !== undefined).join('; ')
    return {
      group,
      subject: s.subject,
      ops,
      seconds: concurrency === 1 ? p50 * ops : totals[j]!,
      ...(s.bytesPerOp === undefined ? {} : { bytes: s.bytesPerOp * ops }),
      ...(s.baseline === true ? { baseline: true } : {}),
      ...(note === '' ? {} : { note }),
    }
  })
}

export const suite: BenchSuite = {
  name: 'snapshots',
  async run(ctx) {
    const rows: BenchRow[] = []
    const sizes = [
      { label: '1 KiB', bytes: 1024, saves: 300 * ctx.scale, loads: 3000 * ctx.scale, objectSaves: 200 * ctx.scale },
      { label: '1 MiB', bytes: 2 ** 20, saves: 150 * ctx.scale, loads: 300 * ctx.scale, objectSaves: 30 * ctx.scale },
    ]
    for (const size of sizes) {
      const raw = bytesOf(size.bytes)
      const object = objectOf(size.bytes)
      const objectBytes = msgpackCodec.encode(object).byteLength
      const objectNote = `${(objectBytes / 1024).toFixed(0)} KiB of msgpack`

      const plainDir = await ctx.subdir(`plain-${size.bytes}`)
      const plainPath = join(plainDir, 'state.bin')
      const floorDir = await ctx.subdir(`floor-${size.bytes}`)
      const floorPath = join(floorDir, 'state.bin')
      const objFloorDir = await ctx.subdir(`floor-msgpack-${size.bytes}`)
      const objFloorPath = join(objFloorDir, 'state.bin')
      const rawStore = await SnapshotStore.open(await ctx.subdir(`quire-raw-${size.bytes}`), { codec: 'raw' })
      const objStore = await SnapshotStore.open(await ctx.subdir(`quire-msgpack-${size.bytes}`))
      let position = 0

      rows.push(
        ...(await interleaved(
          `save ${size.label}`,
          [
            { subject: 'fs.writeFile (not durable)', op: () => writeFile(plainPath, raw), bytesPerOp: size.bytes },
            {
              subject: 'durable atomic replace (node:fs)',
              op: () => durableReplace(floorDir, floorPath, raw),
              bytesPerOp: size.bytes,
              baseline: true,
            },
            {
              subject: "@quire/snapshots (codec 'raw')",
              op: () => rawStore.save('bench', { position: ++position, state: raw }),
              bytesPerOp: size.bytes,
            },
          ],
          size.saves,
        )),
      )
      rows.push(
        ...(await interleaved(
          `load ${size.label}`,
          [
            { subject: 'fs.readFile', op: () => readFile(floorPath), bytesPerOp: size.bytes, baseline: true },
            {
              subject: "@quire/snapshots (codec 'raw')",
              op: () => rawStore.load('bench'),
              bytesPerOp: size.bytes,
              note: 'verifies CRC-32',
            },
          ],
          size.loads,
        )),
      )
      // A structured state (records, as an aggregate holds): both sides pay the msgpack codec.
      rows.push(
        ...(await interleaved(
          `save ${size.label} object`,
          [
            {
              subject: 'msgpack encode + durable atomic replace',
              op: () => durableReplace(objFloorDir, objFloorPath, msgpackCodec.encode(object)),
              bytesPerOp: objectBytes,
              baseline: true,
              note: objectNote,
            },
            {
              subject: '@quire/snapshots (msgpack)',
              op: () => objStore.save('bench', { position: ++position, state: object }),
              bytesPerOp: objectBytes,
            },
          ],
          size.objectSaves,
        )),
      )
      rows.push(
        ...(await interleaved(
          `load ${size.label} object`,
          [
            {
              subject: 'fs.readFile + msgpack decode',
              op: async () => msgpackCodec.decode(await readFile(objFloorPath)),
              bytesPerOp: objectBytes,
              baseline: true,
            },
            { subject: '@quire/snapshots (msgpack)', op: () => objStore.load('bench'), bytesPerOp: objectBytes },
          ],
          size.objectSaves,
        )),
      )
      await rawStore.close()
      await objStore.close()
    }

    // Different keys save in parallel: 8 keys at once against 8 files replaced at once.
    const parallel = 8
    const raw = bytesOf(1024)
    const floorDir = await ctx.subdir('floor-parallel')
    const store = await SnapshotStore.open(await ctx.subdir('quire-parallel'), { codec: 'raw' })
    rows.push(
      ...(await interleaved(
        `save 1 KiB, ${parallel} keys in parallel`,
        [
          {
            subject: 'durable atomic replace (node:fs)',
            op: (i) => durableReplace(floorDir, join(floorDir, `s${i % parallel}.bin`), raw, i),
            baseline: true,
          },
          { subject: "@quire/snapshots (codec 'raw')", op: (i) => store.save(`key-${i % parallel}`, { position: i, state: raw }) },
        ],
        600 * ctx.scale,
        parallel,
      )),
    )
    await store.close()
    return rows
  },
}
