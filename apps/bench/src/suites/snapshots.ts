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
async function durableReplace(dir: string, path: string, data: Uint8Array): Promise<void> {
  const temp = `${path}.tmp`
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

export const suite: BenchSuite = {
  name: 'snapshots',
  async run(ctx) {
    const rows: BenchRow[] = []
    const sizes = [
      { label: '1 KiB', bytes: 1024, saves: 150 * ctx.scale, loads: 3000 * ctx.scale },
      { label: '1 MiB', bytes: 2 ** 20, saves: 40 * ctx.scale, loads: 150 * ctx.scale },
    ]
    for (const size of sizes) {
      const raw = bytesOf(size.bytes)
      const object = objectOf(size.bytes)
      const objectBytes = msgpackCodec.encode(object).byteLength
      const saveGroup = `save ${size.label}`
      const loadGroup = `load ${size.label}`

      // Floor 1: not durable at all.
      const plainDir = await ctx.subdir(`plain-${size.bytes}`)
      const plainPath = join(plainDir, 'state.bin')
      await writeFile(plainPath, raw)
      const plain = await timeOps(size.saves, 1, () => writeFile(plainPath, raw))
      rows.push({ group: saveGroup, subject: 'fs.writeFile (not durable)', ...plain, bytes: size.bytes * plain.ops })

      // Floor 2: durable atomic replace with node:fs — the baseline.
      const floorDir = await ctx.subdir(`floor-${size.bytes}`)
      const floorPath = join(floorDir, 'state.bin')
      await durableReplace(floorDir, floorPath, raw)
      const floor = await timeOps(size.saves, 1, () => durableReplace(floorDir, floorPath, raw))
      rows.push({ group: saveGroup, subject: 'durable atomic replace (node:fs)', ...floor, bytes: size.bytes * floor.ops, baseline: true })

      // Quire, raw bytes: the same work as the floor plus header, CRC and pruning.
      const rawDir = await ctx.subdir(`quire-raw-${size.bytes}`)
      const rawStore = await SnapshotStore.open(rawDir, { codec: 'raw' })
      let position = 0
      await rawStore.save('bench', { position: ++position, state: raw })
      const quireRaw = await timeOps(size.saves, 1, () => rawStore.save('bench', { position: ++position, state: raw }))
      rows.push({ group: saveGroup, subject: "@quire/snapshots (codec 'raw')", ...quireRaw, bytes: size.bytes * quireRaw.ops })

      // Quire, msgpack of a structured state: adds the encoding.
      const objDir = await ctx.subdir(`quire-msgpack-${size.bytes}`)
      const objStore = await SnapshotStore.open(objDir)
      await objStore.save('bench', { position: ++position, state: object })
      const quireObj = await timeOps(size.saves, 1, () => objStore.save('bench', { position: ++position, state: object }))
      rows.push({
        group: saveGroup,
        subject: '@quire/snapshots (msgpack object)',
        ...quireObj,
        bytes: objectBytes * quireObj.ops,
        note: `includes msgpack encode of ${(objectBytes / 1024).toFixed(0)} KiB`,
      })

      // Loads: a plain read is the floor; Quire lists, reads, verifies and decodes.
      const read = await timeOps(size.loads, 1, () => readFile(floorPath))
      rows.push({ group: loadGroup, subject: 'fs.readFile', ...read, bytes: size.bytes * read.ops, baseline: true })
      const loadRaw = await timeOps(size.loads, 1, () => rawStore.load('bench'))
      rows.push({ group: loadGroup, subject: "@quire/snapshots (codec 'raw')", ...loadRaw, bytes: size.bytes * loadRaw.ops })
      const loadObj = await timeOps(size.loads, 1, () => objStore.load('bench'))
      rows.push({
        group: loadGroup,
        subject: '@quire/snapshots (msgpack object)',
        ...loadObj,
        bytes: objectBytes * loadObj.ops,
        note: 'includes msgpack decode',
      })
      await rawStore.close()
      await objStore.close()
    }

    // Different keys save in parallel: 8 keys at once against 8 files replaced at once.
    const parallel = 8
    const saves = 400 * ctx.scale
    const raw = bytesOf(1024)
    const floorDir = await ctx.subdir('floor-parallel')
    const floor = await timeOps(saves, parallel, (i) => durableReplace(floorDir, join(floorDir, `s${i % parallel}.bin`), raw))
    rows.push({ group: `save 1 KiB, ${parallel} keys in parallel`, subject: 'durable atomic replace (node:fs)', ...floor, baseline: true })
    const store = await SnapshotStore.open(await ctx.subdir('quire-parallel'), { codec: 'raw' })
    const quire = await timeOps(saves, parallel, (i) => store.save(`key-${i % parallel}`, { position: i, state: raw }))
    rows.push({ group: `save 1 KiB, ${parallel} keys in parallel`, subject: "@quire/snapshots (codec 'raw')", ...quire })
    await store.close()
    return rows
  },
}
