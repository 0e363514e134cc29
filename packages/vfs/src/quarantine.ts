import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { writeFileAtomic } from './durable.js'
import type { FileSystem } from './file-system.js'

/** Suffix of a quarantine file: bytes a store's recovery removed from its data, kept for an operator. */
export const QUARANTINE_SUFFIX = '.quarantine'

const QUARANTINE_NAME = /\.\d+\.[0-9a-f]{16}\.quarantine$/

/**
 * The name of the quarantine file for `bytes` cut from `source` at byte `offset`:
 * `<source>.<offset>.<16 hex of SHA-256(bytes)>.quarantine`. Named by content, so recovery
 * interrupted and run again writes the same file, and two different cuts never overwrite each other.
 */
export function quarantineName(source: string, offset: number, bytes: Uint8Array): string {
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16)
  return `${source}.${offset}.${digest}${QUARANTINE_SUFFIX}`
}

/** True for names {@link quarantineName} gives. */
export function isQuarantineFile(name: string): boolean {
  return QUARANTINE_NAME.test(name)
}

/** Nothing to get back: no bytes, or only zeros (what a crash leaves where data never arrived). */
function holdsNothing(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false
  return true
}

/**
 * Preserves `bytes` that recovery is about to remove from `source` (a file in `dir`) at `offset`:
 * writes them to a quarantine file in `dir`, durably (temp file, sync, rename, directory sync),
 * before the caller cuts. Resolves with the quarantine file's name, or `undefined` when the bytes
 * hold nothing (empty or all zeros) and nothing was written.
 *
 * The idea is etcd's (its WAL renames a broken file aside before repairing); here only the bytes
 * removed are kept, so a repaired file stays in place.
 */
export async function quarantineBytes(fs: FileSystem, dir: string, source: string, offset: number, bytes: Uint8Array): Promise<string | undefined> {
  if (holdsNothing(bytes)) return undefined
  const name = quarantineName(source, offset, bytes)
  await writeFileAtomic(fs, join(dir, name), bytes)
  return name
}

/**
 * Preserves a whole file recovery is about to delete: renames `source` (in `dir`) to its quarantine
 * name and syncs `dir`, so the file is gone from the store and its bytes are not. A file that holds
 * nothing (empty or zeros) is deleted instead. Resolves with the quarantine file's name, or
 * `undefined` when it was deleted.
 */
export async function quarantineFile(fs: FileSystem, dir: string, source: string): Promise<string | undefined> {
  const path = join(dir, source)
  const bytes = await fs.readFile(path)
  if (holdsNothing(bytes)) {
    await fs.unlink(path)
    await fs.syncDir(dir)
    return undefined
  }
  // Its data too: a writer that was killed may have left it in the OS's cache only.
  const handle = await fs.open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
  const name = quarantineName(source, 0, bytes)
  await fs.rename(path, join(dir, name))
  await fs.syncDir(dir)
  return name
}
