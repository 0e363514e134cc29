// The writer of the 'frames' demo scenario: recovers the file (cuts a torn tail found by
// scanFrames), then appends batches of framed records forever, printing `ack <seq>` for each
// record once its batch is durable (after datasync). The parent SIGKILLs it at random.
//
// Usage: frames-writer.ts <file> [--repair-only]
// Output: `start <next seq> <bytes of torn tail cut>`, then `ack <seq>` lines.
import { dirname } from 'node:path'
import { encodeFrames, scanFrames } from '@quire/codec'
import { NodeFileSystem, readFully } from '@quire/vfs'
import { framesRecord } from '../scenarios/10-frames.js'

const [file, flag] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: frames-writer.ts <file> [--repair-only]')
const say = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

const fs = new NodeFileSystem()
const existed = await fs.exists(file)
const handle = await fs.open(file, 'a+')
// A new file's name is durable only once its directory is synced.
if (!existed) await fs.syncDir(dirname(file))
const size = await handle.size()
const scan = scanFrames(await readFully(handle, 0, size))
if (scan.status === 'corrupt') {
  process.stderr.write(`frames-writer: ${file} is corrupt at byte ${scan.corruptAt}; refusing to append\n`)
  process.exit(2)
}
if (scan.end < size) {
  await handle.truncate(scan.end)
  await handle.sync()
}
let seq = scan.frames.length
say(`start ${seq} ${size - scan.end}`)
if (flag === '--repair-only') {
  await handle.close()
  process.exit(0)
}

for (;;) {
  const count = 1 + Math.floor(Math.random() * 8)
  const batch = encodeFrames(Array.from({ length: count }, (_, i) => framesRecord(seq + i)))
  // Two writes per batch, the first one synced, so a kill between them leaves a torn tail on
  // disk to repair, as a crash in the middle of a large write would (a single write() of a
  // regular file is rarely cut by a process kill).
  const cut = Math.floor(Math.random() * batch.length)
  await handle.write(batch.subarray(0, cut))
  await handle.sync()
  await handle.write(batch.subarray(cut))
  await handle.sync()
  for (let i = 0; i < count; i++) say(`ack ${seq + i}`)
  seq += count
}
