import { lstat, readdir, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { CliError } from './cli-error.js'
import { isPostgresUrl } from './detect.js'
import type { TargetBackend } from './target-backends.js'

/** What was at one path of an import target before the import created the store there. */
type Before = 'absent' | 'empty-dir' | 'empty-file' | 'other'

/**
 * The paths a new embedded event store occupies and what was at each before the import, so a
 * failed import removes exactly what it created (a path that did not exist, the entries of a
 * directory that was empty) and nothing else.
 */
export class TargetUndo {
  readonly #before: ReadonlyMap<string, Before>

  private constructor(before: ReadonlyMap<string, Before>) {
    this.#before = before
  }

  /**
   * Records the target's paths before it is opened (an NDJSON store also has `<file>.state`).
   *
   * @throws CliError `TARGET_NOT_EMPTY` when one of them is a non-empty directory or file: the
   *   import never writes next to someone else's files (whatever the package's open would allow).
   */
  static async record(path: string, backend: TargetBackend | undefined): Promise<TargetUndo> {
    const before = new Map<string, Before>()
    if (isPostgresUrl(path)) return new TargetUndo(before)
    for (const p of backend === 'ndjson' ? [path, `${path}.state`] : [path]) {
      const state = await stateOf(p)
      if (state === 'other') throw new CliError('TARGET_NOT_EMPTY', `${p} is not empty: import only into a new path or an empty directory`)
      before.set(p, state)
    }
    return new TargetUndo(before)
  }

  /**
   * Removes what the import created; resolves with a sentence saying what was removed or left.
   * Call only after the target was opened (a refused open created nothing).
   */
  async undo(path: string): Promise<string> {
    if (isPostgresUrl(path)) return `events appended before the failure are left in ${path}; drop the schema (or its tables) before a retry`
    const removed: string[] = []
    for (const [p, was] of this.#before) {
      if (was === 'absent') {
        await rm(p, { recursive: true, force: true })
        removed.push(p)
      } else if (was === 'empty-dir') {
        for (const name of await readdir(p).catch(() => [] as string[])) await rm(join(p, name), { recursive: true, force: true })
        removed.push(`the contents of ${p}`)
      } else if (was === 'empty-file') {
        await truncate(p, 0)
        removed.push(`the contents of ${p}`)
      }
    }
    return removed.length === 0 ? `nothing was removed at ${path}` : `removed what the import created: ${removed.join(', ')}`
  }
}

async function stateOf(path: string): Promise<Before> {
  try {
    const st = await lstat(path)
    if (st.isFile() && st.size === 0) return 'empty-file'
    return st.isDirectory() && (await readdir(path)).length === 0 ? 'empty-dir' : 'other'
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent'
    throw err
  }
}
