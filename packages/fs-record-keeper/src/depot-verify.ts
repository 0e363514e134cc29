import { optionKeys } from '@quire/durable'
import { absentReason, isTempFile, LOCK_FILE_NAME, NodeFileSystem, ReadOnlyFileSystem, storePathState, StoreNotFoundError, type FileSystem } from '@quire/vfs'
import { join, resolve } from 'node:path'
import { DepotError } from './errors.js'
import { isUuid } from './ids.js'
import { verifyObject } from './object-checksums.js'
import { contentSizeOf } from './object-trailer.js'
import { scanTree } from './tree-scan.js'

/** Every key of `Depot.verify`. */
const VERIFY_OPTION_KEYS = optionKeys<{ readonly fs?: FileSystem }>()(['fs'] as const, 'Depot.verify', (message) => new DepotError('INVALID_ARGUMENT', message))

/** What `Depot.verify` found; `ok` when there is nothing to report. */
export interface DepotReport {
  readonly ok: boolean
  readonly readable: number
  readonly writable: number
  /** READABLE objects whose trailer or content fails its checksums (paths). */
  readonly damaged: readonly string[]
  /**
   * `.wr` files whose length fits no object size: reservations a crash cut short (paths). They are
   * harmless (the id is NONEXISTENT and the next `reserve` replaces the file), so they do not make
   * `ok` false.
   */
  readonly tornReservations: readonly string[]
  /** Files that have no place in the layout, and `.wr` files next to a READABLE object (paths). */
  readonly strays: readonly string[]
}

/** What the depot's directory is called in errors. */
export const DEPOT_ROLE = 'depot (<dir>/depot)'

/**
 * Whether an entry of `depot/` is one the depot writes (`FORMAT`, a one-hex-digit prefix directory
 * of the object tree, a temp file): a `depot/` with none is not a depot.
 */
export function isDepotEntry(name: string): boolean {
  return name === 'FORMAT' || /^[0-9a-f]$/.test(name) || isTempFile(name)
}

/** `Depot.verify(dir)`'s work: a check through a file system that refuses every change. */
export async function verifyDepot(dir: string, options: { readonly fs?: FileSystem }): Promise<DepotReport> {
  VERIFY_OPTION_KEYS.check(options)
  const fs = new ReadOnlyFileSystem(options.fs ?? new NodeFileSystem())
  const root = join(resolve(dir), 'depot')
  const state = await storePathState(fs, root, 'directory', DEPOT_ROLE, isDepotEntry)
  if (state !== 'present') throw new StoreNotFoundError(root, DEPOT_ROLE, absentReason(state, DEPOT_ROLE))
  return verifyTree(fs, root)
}

/** Checks every object under `root` (the depot directory). Changes nothing. */
export async function verifyTree(fs: FileSystem, root: string): Promise<DepotReport> {
  const tree = await scanTree(
    fs,
    root,
    (name) => name === 'FORMAT' || name === LOCK_FILE_NAME || name.startsWith(`${LOCK_FILE_NAME}.`) || isTempFile(name),
  )
  const names = new Set(tree.files.map((f) => join(f.dir, f.name)))
  const damaged: string[] = []
  const tornReservations: string[] = []
  const strays = [...tree.strays]
  let readable = 0
  let writable = 0
  for (const f of tree.files) {
    const path = join(f.dir, f.name)
    const id = f.name.endsWith('.wr') ? f.name.slice(0, -3) : f.name
    if (!isUuid(id) || !id.startsWith(f.prefix)) {
      strays.push(path)
    } else if (f.name.endsWith('.wr')) {
      if (names.has(join(f.dir, id))) strays.push(path)
      else if (contentSizeOf((await fs.stat(path)).size) === undefined) tornReservations.push(path)
      else writable++
    } else if (await verifyObject(fs, path)) {
      readable++
    } else {
      damaged.push(path)
    }
  }
  return {
    ok: damaged.length === 0 && strays.length === 0,
    readable,
    writable,
    damaged,
    tornReservations,
    strays,
  }
}
