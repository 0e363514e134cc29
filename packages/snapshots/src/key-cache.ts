import { isFsError, safeJoin } from '@quire/vfs'
import type { FileSystem } from '@quire/vfs'
import { SNAP_SUFFIX, TEMP_SUFFIX, compareNewestFirst, parseSnapFileName } from './file-name.js'
import type { SnapName } from './file-name.js'
import { keyDirName } from './key-dir.js'

/** Per-key bookkeeping: the save queue, the next sequence number, files known to be valid. */
export interface KeyState {
  readonly key: string
  readonly bytes: Uint8Array
  readonly dir: string
  /** The last queued task; never rejects. */
  tail: Promise<void>
  /** Whether this process knows the key directory exists durably. */
  dirDurable: boolean
  /** Sequence of the next save, once the directory was listed. */
  nextSequence: number | undefined
  /**
   * The key's snapshot files, newest first, once listed. This process is the only writer (the
   * directory lock), so after one `readdir` the list is kept up to date in memory; it is dropped
   * (and the directory listed again) whenever an operation's outcome on disk is unknown.
   */
  listing: SnapName[] | undefined
  /** Snapshot file names written or verified by this process. */
  readonly knownValid: Set<string>
  /** Snapshot file names of a newer format version: left alone, reported once. */
  readonly newer: Set<string>
  /** Operations of this key not yet settled (queued work, loads): only an idle entry may be evicted. */
  pending: number
}

/**
 * The {@link KeyState} of up to `cachedKeys` keys, least recently used first. Idle keys beyond
 * the bound are forgotten and listed again from disk when next used; a key with pending work is
 * never forgotten, so its saves stay in call order.
 */
export class KeyCache {
  readonly #dir: string
  readonly #cachedKeys: number
  readonly #keys = new Map<string, KeyState>()

  constructor(dir: string, cachedKeys: number) {
    this.#dir = dir
    this.#cachedKeys = cachedKeys
  }

  /** The state of `key` (whose UTF-8 is `bytes`), created if needed, marked most recently used. */
  get(key: string, bytes: Uint8Array): KeyState {
    let ks = this.#keys.get(key)
    if (ks === undefined) {
      ks = {
        key,
        bytes,
        dir: safeJoin(this.#dir, keyDirName(bytes)),
        tail: Promise.resolve(),
        dirDurable: false,
        nextSequence: undefined,
        listing: undefined,
        knownValid: new Set(),
        newer: new Set(),
        pending: 0,
      }
      this.#evictIdleKeys()
    } else {
      this.#keys.delete(key) // re-inserted below: the map's order is least recently used first
    }
    this.#keys.set(key, ks)
    return ks
  }

  /** Keeps at most `cachedKeys` entries, dropping idle ones, least recently used first. */
  #evictIdleKeys(): void {
    if (this.#keys.size < this.#cachedKeys) return
    for (const [key, ks] of this.#keys) {
      if (this.#keys.size < this.#cachedKeys) return
      if (ks.pending === 0) this.#keys.delete(key)
    }
  }
}

/** Lists the key's snapshot files, newest first; none when the directory does not exist. */
export async function listKey(fs: FileSystem, ks: KeyState): Promise<{ snaps: SnapName[]; names: string[] }> {
  let names: string[]
  try {
    names = await fs.readdir(ks.dir)
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return { snaps: [], names: [] }
    throw err
  }
  const snaps: SnapName[] = []
  for (const name of names) {
    const parsed = parseSnapFileName(name)
    if (parsed !== undefined) snaps.push(parsed)
  }
  snaps.sort(compareNewestFirst)
  return { snaps, names }
}

/** The key's snapshot files, newest first, from memory after the first listing. */
export async function snapsOf(fs: FileSystem, ks: KeyState): Promise<SnapName[]> {
  if (ks.listing === undefined) {
    const { snaps, names } = await listKey(fs, ks)
    ks.listing = snaps
    ks.nextSequence ??= nextSequenceOf(names)
  }
  return ks.listing
}

/** The sequence number of the key's next save (listing the directory the first time). */
export async function takeSequence(fs: FileSystem, ks: KeyState): Promise<number> {
  if (ks.nextSequence === undefined) {
    const { snaps, names } = await listKey(fs, ks)
    ks.listing ??= snaps
    ks.nextSequence = nextSequenceOf(names)
  }
  return ks.nextSequence++
}

/** Drops `name` from the key's listing in memory. */
export function forgetSnap(ks: KeyState, name: string): void {
  if (ks.listing === undefined) return
  const at = ks.listing.findIndex((snap) => snap.name === name)
  if (at !== -1) ks.listing.splice(at, 1)
}

/** Adds `snap` to the key's listing in memory, in newest-first order. */
export function rememberSnap(ks: KeyState, snap: SnapName): void {
  if (ks.listing === undefined) return
  let at = 0
  while (at < ks.listing.length && compareNewestFirst(ks.listing[at]!, snap) < 0) at++
  ks.listing.splice(at, 0, snap)
}

/** One more than the largest sequence among a key directory's snapshot and temp file names. */
function nextSequenceOf(names: readonly string[]): number {
  let max = -1
  for (const name of names) {
    const base = name.endsWith(TEMP_SUFFIX) ? name.slice(0, -TEMP_SUFFIX.length) + SNAP_SUFFIX : name
    const parsed = parseSnapFileName(base)
    if (parsed !== undefined && parsed.sequence > max) max = parsed.sequence
  }
  return max + 1
}
