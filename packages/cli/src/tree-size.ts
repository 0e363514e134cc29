import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { DetectedStore } from './detect.js'

/** Bytes and files under a store's path (for an NDJSON log: the file, its archives and its state directory). */
export interface TreeSize {
  readonly bytes: number
  readonly files: number
}

async function walk(path: string, acc: { bytes: number; files: number }): Promise<void> {
  let s
  try {
    s = await stat(path)
  } catch {
    return
  }
  if (s.isDirectory()) {
    for (const name of await readdir(path)) await walk(join(path, name), acc)
  } else {
    acc.bytes += s.size
    acc.files += 1
  }
}

/** The files that make up `store` on disk (none for PostgreSQL). */
export async function storePaths(store: DetectedStore): Promise<string[]> {
  if (store.kind === 'event-store-postgres') return []
  if (store.kind !== 'ndjson-log' && store.kind !== 'event-store-ndjson') return [store.path]
  const dir = dirname(store.path)
  const base = basename(store.path)
  const stem = base.replace(/\.ndjson$/, '')
  const archive = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d{6,}\\.ndjson$`)
  const names = await readdir(dir)
  return names.filter((n) => n === base || archive.test(n) || n === `${base}.state` || n.startsWith(`${base}.`)).map((n) => join(dir, n))
}

/** Total size of `store` on disk. */
export async function treeSize(store: DetectedStore): Promise<TreeSize> {
  const acc = { bytes: 0, files: 0 }
  for (const p of await storePaths(store)) await walk(p, acc)
  return acc
}
