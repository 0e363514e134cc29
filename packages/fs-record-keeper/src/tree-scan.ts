import { isFsError, mapLimit, type FileSystem } from '@quire/vfs'
import { join } from 'node:path'
import { isPrefixSegment } from './ids.js'
import { SCAN_CONCURRENCY } from './limits.js'

/** What a depth-3 prefix tree holds. */
export interface TreeListing {
  /** Every file in a leaf directory `a/b/c/`, with the leaf's prefix `abc`. */
  readonly files: { readonly dir: string; readonly name: string; readonly prefix: string }[]
  /** Every leaf directory of the tree. */
  readonly dirs: string[]
  /** Entries that have no place in the tree (a non-hex name at a directory level). */
  readonly strays: string[]
}

/** The names in `dir`; `undefined` when it is a file where a directory belongs. */
async function list(fs: FileSystem, dir: string): Promise<string[] | undefined> {
  try {
    return await fs.readdir(dir)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return []
    if (isFsError(err, 'ENOTDIR')) return undefined
    throw err
  }
}

/**
 * Lists a prefix tree rooted at `root`. `skip` names top-level entries that belong to the store
 * but not to the tree (`FORMAT`, `LOCK`, temp files of those).
 */
export async function scanTree(fs: FileSystem, root: string, skip: (name: string) => boolean): Promise<TreeListing> {
  const files: { dir: string; name: string; prefix: string }[] = []
  const dirs: string[] = []
  const strays: string[] = []
  let level: { path: string; prefix: string }[] = [{ path: root, prefix: '' }]
  for (let depth = 0; depth < 3; depth++) {
    const listed = await mapLimit(level, SCAN_CONCURRENCY, async (d) => ({ d, names: await list(fs, d.path) }))
    const nextLevel: { path: string; prefix: string }[] = []
    for (const { d, names } of listed) {
      if (names === undefined) {
        strays.push(d.path)
        continue
      }
      for (const name of names) {
        if (depth === 0 && skip(name)) continue
        if (isPrefixSegment(name)) nextLevel.push({ path: join(d.path, name), prefix: d.prefix + name })
        else strays.push(join(d.path, name))
      }
    }
    level = nextLevel
  }
  const leaves = await mapLimit(level, SCAN_CONCURRENCY, async (d) => ({ d, names: await list(fs, d.path) }))
  for (const { d, names } of leaves) {
    if (names === undefined) {
      strays.push(d.path)
      continue
    }
    dirs.push(d.path)
    for (const name of names) files.push({ dir: d.path, name, prefix: d.prefix })
  }
  return { files, dirs, strays }
}
