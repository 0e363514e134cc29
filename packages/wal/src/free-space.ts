import { readFully, type FileSystem } from '@quire/vfs'
import { WAL_READ_CHUNK_BYTES } from './limits.js'

/**
 * True when bytes `[from, to)` of the file are all zeros: the free space a writer preallocates
 * after the last record of the active segment (FORMAT.md, "Free space"). Read a chunk at a time.
 */
export async function isFreeSpace(fs: FileSystem, path: string, from: number, to: number): Promise<boolean> {
  if (to <= from) return false
  const handle = await fs.open(path, 'r')
  try {
    for (let at = from; at < to; at += WAL_READ_CHUNK_BYTES) {
      const chunk = await readFully(handle, at, Math.min(WAL_READ_CHUNK_BYTES, to - at))
      if (!isAllZero(chunk)) return false
    }
    return true
  } finally {
    await handle.close()
  }
}

function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false
  return true
}
