import { copyFile, mkdir, stat } from 'node:fs/promises'
import { basename, dirname, join, relative } from 'node:path'

/**
 * Copies `files` (inside `root`) into a new directory next to the store,
 * `<root>.quire-repair-<UTC time>/`, keeping their paths relative to `root`, before a package's
 * recovery deletes them (record-keeper orphans and damaged files, snapshot temp files): those
 * packages remove such files without a quarantine of their own, and `repair` keeps every byte it
 * removes. Copies are synced by `copyFile`'s close only; they are a courtesy copy, not part of
 * the store. Resolves with a map from each file to its copy.
 */
export async function preserveFiles(root: string, files: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  if (files.length === 0) return out
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const backup = join(dirname(root), `${basename(root)}.quire-repair-${stamp}`)
  for (const file of files) {
    try {
      if (!(await stat(file)).isFile()) continue
    } catch {
      continue
    }
    const rel = relative(root, file)
    const target = rel.startsWith('..') ? join(backup, basename(file)) : join(backup, rel)
    await mkdir(dirname(target), { recursive: true })
    await copyFile(file, target)
    out.set(file, target)
  }
  return out
}

/** `{ preservedIn }` for `file` when a copy of it was made, else nothing. */
export function preservedField(preserved: ReadonlyMap<string, string>, file: string): { preservedIn?: string } {
  const copy = preserved.get(file)
  return copy === undefined ? {} : { preservedIn: copy }
}
