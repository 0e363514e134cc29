import { type FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import type { SegmentInfo } from './recovery.js'
import { SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, encodeHeader, segmentName } from './segment-header.js'

// Recovery's steps 4 and 5 (see `recoverLog`).

/**
 * Step 4: makes what was just read as the log durable. After a SIGKILL (not a power loss) the OS
 * may still hold writes the dead process never synced, even a segment's name: new appends must not
 * be built on them and acknowledged while a power loss could still take them away. Syncing a file
 * with nothing dirty costs next to nothing.
 */
export async function makeDurable(fs: FileSystem, dir: string, segments: readonly SegmentInfo[]): Promise<void> {
  for (const segment of segments) {
    const handle = await fs.open(join(dir, segment.name), 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }
  await fs.syncDir(dir)
}

/**
 * Step 5: somewhere to append. The log's last seq; when no segment is left, or a crash under
 * sync 'none' lost entries the floor already covers, an empty segment is created above it
 * (not when `readOnly`).
 */
export async function ensureTail(fs: FileSystem, dir: string, segments: SegmentInfo[], decodedLastSeq: number, floorSeq: number, readOnly: boolean): Promise<number> {
  const tail = segments[segments.length - 1]
  let lastSeq = Math.max(decodedLastSeq, tail === undefined ? 0 : tail.firstSeq - 1)
  if (tail === undefined || lastSeq < floorSeq) {
    lastSeq = Math.max(lastSeq, floorSeq)
    if (!readOnly) segments.push(await createSegment(fs, dir, lastSeq + 1))
  }
  return lastSeq
}

/** Creates an empty segment durably: header written and synced, then the directory synced. */
export async function createSegment(fs: FileSystem, dir: string, firstSeq: number): Promise<SegmentInfo> {
  const name = segmentName(firstSeq)
  const path = join(dir, name)
  const handle = await fs.open(path, 'wx')
  try {
    await handle.write(encodeHeader(SEGMENT_MAGIC, firstSeq), 0)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.syncDir(dir)
  return { name, firstSeq, lastSeq: firstSeq - 1, end: SEGMENT_HEADER_BYTES }
}

