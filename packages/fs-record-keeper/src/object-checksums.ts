import { crc32 } from '@quire/codec'
import { readFully, type FileHandle, type FileSystem } from '@quire/vfs'
import { DepotError } from './errors.js'
import { DEPOT_BLOCK_BYTES } from './limits.js'
import { blockCount, decodeFooter, encodeTrailer, FOOTER_BYTES, storedLength } from './object-trailer.js'

/**
 * The block checksums of a depot object on an open handle (layout in FORMAT.md): computed and
 * written by `finalize`, checked by `read` (the blocks it returns) and by `verify` (every block).
 */

/** Reads the content size from a READABLE object's footer; `CORRUPT` when the trailer is damaged. */
export async function readContentSize(
  handle: { read(buffer: Uint8Array, position: number): Promise<number> },
  path: string,
  length: number,
): Promise<number> {
  if (length < FOOTER_BYTES) throw new DepotError('CORRUPT', `${path} is too short for a trailer`)
  const footer = new Uint8Array(FOOTER_BYTES)
  const n = await handle.read(footer, length - FOOTER_BYTES)
  const size = n === FOOTER_BYTES ? decodeFooter(footer) : undefined
  if (size === undefined || storedLength(size) !== length) {
    throw new DepotError('CORRUPT', `${path} has a damaged trailer`)
  }
  return size
}

/**
 * `size` bytes at `offset` of object `id` (of `contentSize` content bytes, the range checked by
 * the caller), every block they touch checked against its crc32: damage is `CORRUPT`, never bytes.
 */
export async function readChecked(handle: FileHandle, path: string, id: string, contentSize: number, offset: number, size: number): Promise<Uint8Array> {
  const first = Math.floor(offset / DEPOT_BLOCK_BYTES)
  const last = Math.floor((offset + size - 1) / DEPOT_BLOCK_BYTES)
  const table = await readFully(handle, contentSize + 4 * first, 4 * (last - first + 1))
  const spanStart = first * DEPOT_BLOCK_BYTES
  const spanEnd = Math.min(contentSize, (last + 1) * DEPOT_BLOCK_BYTES)
  const span = await readFully(handle, spanStart, spanEnd - spanStart)
  if (table.byteLength !== 4 * (last - first + 1) || span.byteLength !== spanEnd - spanStart) {
    throw new DepotError('CORRUPT', `${path} is shorter than its trailer says`)
  }
  const tableView = new DataView(table.buffer, table.byteOffset, table.byteLength)
  for (let block = first; block <= last; block++) {
    const from = (block - first) * DEPOT_BLOCK_BYTES
    const data = span.subarray(from, Math.min(span.byteLength, from + DEPOT_BLOCK_BYTES))
    if (crc32(data) !== tableView.getUint32(4 * (block - first), true)) {
      throw new DepotError('CORRUPT', `object ${id}: block ${block} fails its checksum`)
    }
  }
  return span.slice(offset - spanStart, offset - spanStart + size)
}

/**
 * Computes the block checksums of a WRITABLE object's `size` content bytes and writes the trailer
 * in place (the length does not change). Not durable by itself: the caller syncs.
 */
export async function writeChecksums(handle: FileHandle, path: string, size: number): Promise<void> {
  const crcs: number[] = []
  for (let block = 0; block < blockCount(size); block++) {
    const start = block * DEPOT_BLOCK_BYTES
    const length = Math.min(DEPOT_BLOCK_BYTES, size - start)
    const data = await readFully(handle, start, length)
    if (data.byteLength !== length) throw new DepotError('CORRUPT', `${path} is shorter than its reservation`)
    crcs.push(crc32(data))
    // Written back so that the caller's sync covers it: after a failed sync (maybe in an
    // earlier session) the content may be in the page cache only, and a sync would not
    // make clean pages durable. The checksum must describe what the disk holds.
    await handle.write(data, start)
  }
  await handle.write(encodeTrailer(size, crcs), size)
}

/** Checks a READABLE object's trailer and every block, one block in memory at a time. */
export async function verifyObject(fs: FileSystem, path: string): Promise<boolean> {
  const handle = await fs.open(path, 'r')
  try {
    let size: number
    try {
      size = await readContentSize(handle, path, await handle.size())
    } catch (err) {
      if (err instanceof DepotError) return false
      throw err
    }
    const blocks = blockCount(size)
    const table = await readFully(handle, size, 4 * blocks)
    if (table.byteLength !== 4 * blocks) return false
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength)
    for (let block = 0; block < blocks; block++) {
      const start = block * DEPOT_BLOCK_BYTES
      const length = Math.min(DEPOT_BLOCK_BYTES, size - start)
      const data = await readFully(handle, start, length)
      if (data.byteLength !== length || crc32(data) !== view.getUint32(4 * block, true)) return false
    }
    return true
  } finally {
    await handle.close()
  }
}
