import { isFsError, safeJoin, unlinkIfPresent } from '@quire/vfs'
import type { FileSystem } from '@quire/vfs'
import { TEMP_SUFFIX } from './file-name.js'
import { keyFromDirName } from './key-dir.js'

/**
 * Open-time recovery: deletes temp files left by interrupted saves and empty key directories,
 * then syncs the store directory, so every key directory this store will write into is durably
 * named. Idempotent: a crash during it is recovered the same way.
 */
export async function recover(fs: FileSystem, root: string): Promise<void> {
  for (const name of await fs.readdir(root)) {
    if (keyFromDirName(name) === undefined) continue
    const dir = safeJoin(root, name)
    let entries: string[]
    try {
      entries = await fs.readdir(dir)
    } catch (err) {
      if (isFsError(err, 'ENOTDIR') || isFsError(err, 'ENOENT')) continue
      throw err
    }
    let left = entries.length
    for (const entry of entries) {
      if (!entry.endsWith(TEMP_SUFFIX)) continue
      await unlinkIfPresent(fs, safeJoin(dir, entry))
      left--
    }
    if (left === 0) {
      try {
        await fs.rmdir(dir)
      } catch (err) {
        if (!isFsError(err, 'ENOENT') && !isFsError(err, 'ENOTEMPTY')) throw err
      }
    }
  }
  await fs.syncDir(root)
}
