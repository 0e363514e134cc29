import { dirname } from 'node:path'
import { PathKindError } from './errors.js'
import { isFsError, type FileSystem } from './file-system.js'

/**
 * Checks, before a store's `open` creates anything, that `path` is what the store expects there
 * (or does not exist yet): a {@link PathKindError} names what was expected and what was found,
 * instead of a bare `EISDIR` or `ENOTDIR` from deep inside recovery. A parent of `path` that is
 * a file is reported the same way (`blockedBy` names it). Resolves with whether `path` exists.
 *
 * @param role what the path is for, for the message: `"the write-ahead log's directory"`.
 */
export async function expectPathKind(fs: FileSystem, path: string, expected: 'directory' | 'file', role: string): Promise<boolean> {
  let st
  try {
    st = await fs.stat(path)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return false
    if (isFsError(err, 'ENOTDIR')) throw new PathKindError(path, expected, 'file', role, await fileAncestor(fs, path))
    throw err
  }
  const found = st.isDirectory ? 'directory' : st.isFile ? 'file' : 'special file'
  if (found !== expected) throw new PathKindError(path, expected, found, role)
  return true
}

/** The nearest ancestor of `path` that exists and is not a directory (what made stat say ENOTDIR). */
async function fileAncestor(fs: FileSystem, path: string): Promise<string> {
  for (let at = dirname(path); at !== dirname(at); at = dirname(at)) {
    try {
      if (!(await fs.stat(at)).isDirectory) return at
    } catch {
      // keep walking up: this one is missing or itself under a file
    }
  }
  return dirname(path)
}
