import { uuidToWords, wordsToUuid } from '../event-id.js'

/**
 * The id index: event id -> position, for every event of the store. An id is kept as its 128 bits
 * (four words in one typed array, at the event's position) and found through an open-addressing
 * hash table of positions (linear probing, at most half full). Each slot keeps its id's hash
 * next to the position, so a probe reads the slots' cache line alone and fetches the id's words
 * only when the hash matches: a lookup in a large store is one cache miss, not three. A `Map<string, number>` held a
 * 36-character string and a map entry per event: about 90 bytes and two objects for the garbage
 * collector to trace, against 16 + 4..8 bytes of plain numbers here, and no string to parse back
 * at open. The string is made again when an event is read (`idAt`, ~0.1 µs).
 *
 * Positions are added in order, 1, 2, 3, …, as the index applies commits. At open, replay adds
 * them with {@link IdTable.addDeferred} and the table is built once at the end
 * ({@link IdTable.buildDeferred}), in the order of the slots they go to: inserting a million ids
 * in log order touched a random cache line of a 16 MB table each.
 */
export class IdTable {
  /** The four words of the id at position p are at `4 * (p - 1)`. */
  #words = new Uint32Array(4 * 1024)
  /** `#words.length`, in a field: it is checked on every add, and the getter is not free. */
  #wordsLength = 4 * 1024
  /** Pairs [position, hash of its id]; position 0 = an empty slot. */
  #slots = new Int32Array(2 * 2048)
  #mask = 2047
  #count = 0
  /** Hash of the id the last probe looked for. */
  #lastHash = 0
  /** Ids added by {@link IdTable.addDeferred} and not yet in the table (the last ones). */
  #deferred = 0

  /** Ids held; also the last position added. */
  get count(): number {
    return this.#count
  }

  /** Position of `id` (a lowercase UUID), 0 when absent or not a UUID. */
  find(id: string): number {
    this.#assertBuilt()
    if (!uuidToWords(id, scratch, 0)) return 0
    const found = this.#probe(scratch, 0)
    return found > 0 ? found : 0
  }

  /**
   * Adds `id` at position `count + 1`. False (nothing added) when `id` is not a UUID or is held
   * already: the caller's corruption check.
   */
  add(id: string): boolean {
    this.#assertBuilt()
    const at = 4 * this.#count
    if (this.#wordsLength < at + 4) this.#growWords(at + 4)
    if (!uuidToWords(id, this.#words, at)) return false
    const found = this.#probe(this.#words, at)
    if (found > 0) return false
    const position = ++this.#count
    if (2 * this.#count > this.#mask + 1) {
      this.#rehash(2 * (this.#mask + 1))
    } else {
      // The probe ended on the empty slot where the id goes: one walk, one hash.
      const slot = -found - 1
      this.#slots[2 * slot] = position
      this.#slots[2 * slot + 1] = this.#lastHash
    }
    return true
  }

  /**
   * Adds `id` at position `count + 1` without looking for it: the table learns of it (and of a
   * repeat) in {@link IdTable.buildDeferred}. False when `id` is not a UUID.
   */
  addDeferred(id: string): boolean {
    const at = 4 * this.#count
    if (this.#wordsLength < at + 4) this.#growWords(at + 4)
    if (!uuidToWords(id, this.#words, at)) return false
    this.#count++
    this.#deferred++
    return true
  }

  /** {@link IdTable.addDeferred} of an id given as its four words, `words[at .. at + 3]`. */
  addDeferredWords(words: Uint32Array, at: number): void {
    const to = 4 * this.#count
    if (this.#wordsLength < to + 4) this.#growWords(to + 4)
    const held = this.#words
    held[to] = words[at]!
    held[to + 1] = words[at + 1]!
    held[to + 2] = words[at + 2]!
    held[to + 3] = words[at + 3]!
    this.#count++
    this.#deferred++
  }

  /**
   * Puts the ids of {@link IdTable.addDeferred} into the table, sorted by the region of the table
   * they go to (a counting sort on the top bits of their slot), so that the inserts walk the table
   * once instead of at random. Returns 0, or a position whose id an earlier position holds
   * already (the table is then unusable: the caller stops).
   */
  buildDeferred(): number {
    const n = this.#deferred
    if (n === 0) return 0
    const first = this.#count - n + 1
    let size = this.#mask + 1
    while (size < 2 * this.#count) size *= 2
    if (size > this.#mask + 1) this.#rehash(size)
    const mask = this.#mask
    const words = this.#words
    const hashes = new Int32Array(n)
    // Regions of 4 K slots (32 KB) each.
    const shift = Math.min(12, Math.log2(size))
    const regions = (mask >>> shift) + 1
    const starts = new Int32Array(regions + 1)
    for (let i = 0; i < n; i++) {
      const at = 4 * (first - 1 + i)
      const h = hash(words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!)
      hashes[i] = h
      starts[((h & mask) >>> shift) + 1]!++
    }
    for (let r = 0; r < regions; r++) starts[r + 1]! += starts[r]!
    const order = new Int32Array(n)
    for (let i = 0; i < n; i++) order[starts[(hashes[i]! & mask) >>> shift]!++] = i
    this.#deferred = 0
    const slots = this.#slots
    for (let k = 0; k < n; k++) {
      const i = order[k]!
      const position = first + i
      const at = 4 * (position - 1)
      const h = hashes[i]!
      const w0 = words[at]!
      const w1 = words[at + 1]!
      const w2 = words[at + 2]!
      const w3 = words[at + 3]!
      let slot = h & mask
      for (;;) {
        const held = slots[2 * slot]!
        if (held === 0) break
        if (slots[2 * slot + 1] === h) {
          const p = 4 * (held - 1)
          if (words[p] === w0 && words[p + 1] === w1 && words[p + 2] === w2 && words[p + 3] === w3) return Math.max(held, position)
        }
        slot = (slot + 1) & mask
      }
      slots[2 * slot] = position
      slots[2 * slot + 1] = h
    }
    return 0
  }

  #assertBuilt(): void {
    if (this.#deferred !== 0) throw new Error('IdTable: ids added with addDeferred are not in the table yet (buildDeferred)')
  }

  /** Makes room for `count` ids in all, so that adding them grows nothing (open knows the log's length). */
  reserve(count: number): void {
    if (this.#wordsLength < 4 * count) this.#growWords(4 * count)
    let size = this.#mask + 1
    while (size < 2 * count) size *= 2
    if (size > this.#mask + 1) this.#rehash(size)
  }

  /** The id at `position` (1 .. count), as a lowercase UUID string. */
  idAt(position: number): string {
    return wordsToUuid(this.#words, 4 * (position - 1))
  }

  /**
   * The position holding the id in `words[at .. at + 3]` (> 0), or, when it is absent, -1 - the
   * empty slot its probe ended on. Leaves the id's hash in `#lastHash`.
   */
  #probe(words: Uint32Array, at: number): number {
    const w0 = words[at]!
    const w1 = words[at + 1]!
    const w2 = words[at + 2]!
    const w3 = words[at + 3]!
    const held = this.#words
    const slots = this.#slots
    const mask = this.#mask
    const h = hash(w0, w1, w2, w3)
    this.#lastHash = h
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const position = slots[2 * i]!
      if (position === 0) return -1 - i
      if (slots[2 * i + 1] === h) {
        const p = 4 * (position - 1)
        if (held[p] === w0 && held[p + 1] === w1 && held[p + 2] === w2 && held[p + 3] === w3) return position
      }
    }
  }

  /** Puts `position`, whose id is in `words[at .. at + 3]`, in the first empty slot of its probe. */
  #place(words: Uint32Array, at: number, position: number): void {
    const slots = this.#slots
    const mask = this.#mask
    const h = hash(words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!)
    let i = h & mask
    while (slots[2 * i] !== 0) i = (i + 1) & mask
    slots[2 * i] = position
    slots[2 * i + 1] = h
  }

  #growWords(atLeast: number): void {
    let length = this.#wordsLength
    while (length < atLeast) length *= 2
    const grown = new Uint32Array(length)
    grown.set(this.#words)
    this.#words = grown
    this.#wordsLength = length
  }

  /** A table of `size` slots with every position put back (but deferred ones, which are not in it yet). */
  #rehash(size: number): void {
    this.#slots = new Int32Array(2 * size)
    this.#mask = size - 1
    const placed = this.#count - this.#deferred
    for (let position = 1; position <= placed; position++) this.#place(this.#words, 4 * (position - 1), position)
  }
}

/** Words of the id being looked up (module state: lookups never re-enter). */
const scratch = new Uint32Array(4)

/**
 * Mixes all 128 bits (callers' ids need not be random: v1, v7 or hand-made ones differ in a few
 * bits only), finished with MurmurHash3's 32-bit finalizer.
 */
function hash(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0xc2b2ae35)
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0xc2b2ae35)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}
