import { OrderedMap } from '@js-sdsl/ordered-map'
import { compareKeys, type KeyRange } from './keys.js'

/**
 * One committed (or committing) version of a key. `value` undefined is a deletion (tombstone).
 * A class, so that every version has one shape. Its fields never change once a transaction may
 * read it; only recovery (no transaction open) rewrites a key's only version in place.
 */
export class Version {
  ts: number
  value: Uint8Array | undefined

  constructor(ts: number, value: Uint8Array | undefined) {
    this.ts = ts
    this.value = value
  }
}

/** The timestamp of the newest version in `chain` (committing ones included); 0 when none. */
export function newestTs(chain: readonly Version[] | undefined): number {
  return chain === undefined || chain.length === 0 ? 0 : chain[chain.length - 1]!.ts
}

/**
 * The versions of every key, oldest first per key.
 *
 * Point reads go through a hash map; the ordered map (a red-black tree from @js-sdsl, ordered by
 * UTF-8 bytes) is only touched when a key appears or disappears, and by scans. Both hold the
 * same chain arrays.
 *
 * The tree is built on first use (the first scan or checkpoint), from the map's keys sorted once,
 * and kept up to date from then on. Until then a new key costs no tree node: recovery of 100 000
 * keys spent about half its index time inserting nodes (and collecting them into the old
 * generation), and a store that only gets and puts never reads the tree at all.
 */
export class VersionIndex {
  private readonly chains = new Map<string, Version[]>()
  /** Undefined until something needs key order; then it holds exactly the keys of `chains`. */
  private ordered: OrderedMap<string, Version[]> | undefined = undefined

  get keyCount(): number {
    return this.chains.size
  }

  /** The newest version with `ts <= snapshotTs`, or undefined. */
  readAt(key: string, snapshotTs: number): Version | undefined {
    const chain = this.chains.get(key)
    return chain === undefined ? undefined : visibleIn(chain, snapshotTs)
  }

  /** The timestamp of the newest version of `key`, committing ones included; 0 when none. */
  latestTs(key: string): number {
    return newestTs(this.chains.get(key))
  }

  /**
   * The versions of `key`, oldest first, or undefined: for a caller that looks a key up once and
   * then installs on it ({@link VersionIndex.installOn}). Not to be changed by the caller.
   */
  chainOf(key: string): readonly Version[] | undefined {
    return this.chains.get(key)
  }

  /**
   * Makes `version` the only version of `key`, which the caller knows is absent (a checkpoint's
   * keys loaded into an empty index): no lookup first. A key loaded twice keeps its last version,
   * so the caller compares `keyCount` with what it loaded.
   */
  load(key: string, version: Version): void {
    const fresh = [version]
    this.chains.set(key, fresh)
    this.ordered?.setElement(key, fresh)
  }

  /** Appends a version; versions of one key must be installed in ascending `ts`. Returns the key's chain. */
  install(key: string, version: Version): readonly Version[] {
    return this.installOn(key, this.chains.get(key), version)
  }

  /**
   * {@link VersionIndex.install} with the chain `chainOf(key)` gave, when nothing but garbage
   * collection ran since (one hash lookup per written key instead of two on the commit path). A
   * chain garbage collection dropped meanwhile is empty (see `dropKey`): the key gets a new one.
   */
  installOn(key: string, found: readonly Version[] | undefined, version: Version): readonly Version[] {
    // Only this class hands chains out, and only read-only: the cast takes back its own array.
    const chain = found as Version[] | undefined
    if (chain !== undefined && chain.length > 0) {
      const last = chain[chain.length - 1]!
      if (last.ts >= version.ts) {
        throw new Error(`mvcc invariant: version ${version.ts} of ${key} installed after ${last.ts}`)
      }
      chain.push(version)
      return chain
    }
    const fresh = [version]
    this.chains.set(key, fresh)
    this.ordered?.setElement(key, fresh)
    return fresh
  }

  /**
   * Makes `(ts, value)` the only version of `key` (recovery: nobody can read older ones, so the
   * key's version object is rewritten in place instead of a new one per replayed write).
   */
  replace(key: string, ts: number, value: Uint8Array | undefined): void {
    const chain = this.chains.get(key)
    if (chain === undefined) {
      if (value === undefined) return
      const fresh = [new Version(ts, value)]
      this.chains.set(key, fresh)
      this.ordered?.setElement(key, fresh)
    } else if (value === undefined) {
      this.dropKey(key, chain)
    } else {
      if (chain.length !== 1) chain.length = 1
      const only = chain[0]!
      only.ts = ts
      only.value = value
    }
  }

  /** Takes back the version of commit `ts`, which never became durable (a failed commit). */
  uninstall(key: string, ts: number): void {
    const chain = this.chains.get(key)
    if (chain === undefined) return
    for (let at = chain.length - 1; at >= 0; at--) {
      if (chain[at]!.ts === ts) {
        chain.splice(at, 1)
        break
      }
    }
    if (chain.length === 0) this.dropKey(key, chain)
  }

  /**
   * Drops versions no snapshot `>= oldestSnapshotTs` can read: everything older than the newest
   * version at or below it. A key whose only remaining version is an old tombstone disappears.
   * `found` is the key's chain as `install` returned it: no lookup. A chain dropped since is empty
   * (see `dropKey`), and a chain that is not empty is still the key's.
   */
  prune(key: string, found: readonly Version[], oldestSnapshotTs: number): void {
    const chain = found as Version[]
    if (chain.length === 0) return
    let keepFrom = -1
    for (let i = chain.length - 1; i >= 0; i--) {
      if (chain[i]!.ts <= oldestSnapshotTs) {
        keepFrom = i
        break
      }
    }
    if (keepFrom > 0) {
      // In place: splice would allocate an array of the removed versions on every commit.
      chain.copyWithin(0, keepFrom)
      chain.length -= keepFrom
    }
    if (chain.length === 1 && chain[0]!.value === undefined && chain[0]!.ts <= oldestSnapshotTs) this.dropKey(key, chain)
  }

  /**
   * Up to `max` keys of `range` strictly after `after` (or before, when `reverse`), in order,
   * with their chains. Synchronous, so the tree cannot change under it; scans resume from the
   * last key of a chunk, which stays correct while other transactions commit.
   */
  chunk(range: KeyRange, after: string | undefined, reverse: boolean, max: number): [string, Version[]][] {
    const out: [string, Version[]][] = []
    const ordered = this.tree()
    const end = ordered.end()
    if (!reverse) {
      const it =
        after !== undefined ? ordered.upperBound(after) : range.gte !== undefined ? ordered.lowerBound(range.gte) : ordered.begin()
      for (; !it.equals(end) && out.length < max; it.next()) {
        const [key, chain] = it.pointer
        if (range.lt !== undefined && compareKeys(key, range.lt) >= 0) break
        out.push([key, chain])
      }
    } else {
      let it
      if (after !== undefined) it = ordered.reverseUpperBound(after)
      else if (range.lt !== undefined) it = ordered.reverseUpperBound(range.lt)
      else {
        const last = ordered.back()
        if (last === undefined) return out
        it = ordered.find(last[0])
      }
      // A forward iterator walked with pre(); js-sdsl throws on pre() at begin, so stop there.
      const begin = ordered.begin()
      while (!it.equals(end) && out.length < max) {
        const [key, chain] = it.pointer
        if (range.gte !== undefined && compareKeys(key, range.gte) < 0) break
        out.push([key, chain])
        if (it.equals(begin)) break
        it.pre()
      }
    }
    return out
  }

  /** Every key with its chain, in key order (for checkpoints). */
  *entries(): Generator<[string, Version[]]> {
    for (const [key, chain] of this.tree()) yield [key, chain]
  }

  /** Versions held, all keys together (walks the map, in no particular order). */
  versionCount(): number {
    let versions = 0
    for (const chain of this.chains.values()) versions += chain.length
    return versions
  }

  /** The ordered map, built now from the hash map when this is its first use. */
  private tree(): OrderedMap<string, Version[]> {
    if (this.ordered !== undefined) return this.ordered
    const ordered = new OrderedMap<string, Version[]>([], compareKeys)
    // Inserted in ascending order, each key lands right of the current maximum: js-sdsl checks
    // that first and skips the descent from the root. The native default sort (UTF-16 code unit
    // order) is 2–3× faster than one through compareKeys and agrees with it except between keys
    // with surrogates and keys with U+E000..U+FFFF; such a key just takes the ordinary descent,
    // since the tree places every key by compareKeys whatever the order it comes in.
    const keys = [...this.chains.keys()].sort()
    for (const key of keys) ordered.setElement(key, this.chains.get(key)!)
    this.ordered = ordered
    return ordered
  }

  /**
   * Forgets `key` and empties its chain, so that a reference to it kept elsewhere (garbage
   * collection's, a scan's chunk) reads as "no version", which is what a dropped key is to every
   * snapshot that can still read (its last version was a tombstone no snapshot predates).
   */
  private dropKey(key: string, chain: Version[]): void {
    chain.length = 0
    this.chains.delete(key)
    this.ordered?.eraseElementByKey(key)
  }
}

/** The newest version of `chain` with `ts <= snapshotTs`. */
export function visibleIn(chain: readonly Version[], snapshotTs: number): Version | undefined {
  for (let i = chain.length - 1; i >= 0; i--) {
    const v = chain[i]!
    if (v.ts <= snapshotTs) return v
  }
  return undefined
}
