import { PathKindError } from './errors.js'
import { isFsError, type FileSystem } from './file-system.js'

/**
 * Checks, before a store's `open` creates anything, that `path` is what the store expects there
 * (or does not exist yet): a {@link PathKindError} names what was expected and what was found,
 * instead of a bare `EISDIR` from deep inside recovery. Resolves with whether `path` exists.
 *
 * @param role what the path is for, for the message: `"the write-ahead log's directory"`.
 */
export async function expectPathKind(fs: FileSystem, path: string, expected: 'directory' | 'file', role: string): Promise<boolean> {
  let st
  try {
    st = await fs.stat(path)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return false
    throw err
  }
  const found = st.isDirectory ? 'directory' : st.isFile ? 'file' : 'special file'
  if (found !== expected) throw new PathKindError(path, expected, found, role)
  return true
}
