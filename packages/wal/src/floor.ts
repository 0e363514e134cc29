import { isFsError, writeFileAtomic, type FileSystem } from '@quire/vfs'
import { WalCorruptError } from './errors.js'
import { decodeHeader, encodeHeader } from './segment-header.js'

/**
 * The truncation floor: entries with `seq <= floorSeq` were dropped by `truncateBefore` and are
 * never replayed, even while the segment holding them still exists. Persisted in its own small
 * file, replaced atomically, so a crash leaves either the old or the new floor.
 */
export const FLOOR_FILE = 'wal.floor'
/** "QWALFLOR" in ASCII. */
export const FLOOR_MAGIC = new Uint8Array([0x51, 0x57, 0x41, 0x4c, 0x46, 0x4c, 0x4f, 0x52])

export async function readFloor(fs: FileSystem, path: string): Promise<number> {
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(path)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return 0
    throw err
  }
  const header = decodeHeader(FLOOR_MAGIC, bytes)
  if ('invalid' in header || bytes.byteLength !== 24) {
    throw new WalCorruptError(FLOOR_FILE, 0, 'invalid' in header ? header.invalid : 'unexpected length')
  }
  return header.seq
}

export async function writeFloor(fs: FileSystem, path: string, floorSeq: number): Promise<void> {
  await writeFileAtomic(fs, path, encodeHeader(FLOOR_MAGIC, floorSeq))
}
