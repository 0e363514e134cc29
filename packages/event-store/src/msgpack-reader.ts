/*
 * A msgpack decoder for the WAL backend's event values, for open: every event of the log is
 * decoded once, and `msgpackCodec.decode` builds a decoder per value, walks the result again to
 * check it, and the index walked it a third time to freeze it. This reads what the store writes
 * (msgpack-writer.ts: nil, booleans, ints, float 64, strings, arrays, maps with string keys, the
 * timestamp extension) in one pass into frozen values, and gives up (FALLBACK) on anything else,
 * on what `msgpackCodec` would refuse, and on what it would take but read differently (bigints,
 * binary, float 32, a key that is a number, invalid UTF-8, a non-finite number, an invalid
 * Date): the caller then decodes the value with `msgpackCodec`, whose result or error stands.
 * test/wal-format.test.ts compares the two over random values and random bytes.
 */

/** The value is not one this reader takes: decode it with `msgpackCodec` instead. */
export const FALLBACK: unique symbol = Symbol('fallback')

/** The bytes of "__proto__". */
const PROTO_KEY = Uint8Array.from('__proto__', (c) => c.charCodeAt(0))

/** Nesting at which the reader gives up (the codec's own limit, 512, is checked there). */
const MAX_DEPTH = 64

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Reads values from a region of a buffer. One reader serves many regions (`reset`). */
export class MsgpackReader {
  #bytes: Uint8Array = new Uint8Array(0)
  #view: DataView = new DataView(this.#bytes.buffer)
  /** The buffer `#bytes` and `#view` cover (the getter is not free: read once per value). */
  #buffer: ArrayBufferLike = this.#bytes.buffer
  /** Next byte to read and the end of the region, as offsets into `#bytes`. */
  pos = 0
  end = 0
  readonly #strings = new ShortStrings()

  /** Reads `bytes` from its start (views over the same buffer share one DataView). */
  reset(bytes: Uint8Array): void {
    const buffer = bytes.buffer
    if (buffer !== this.#buffer) {
      this.#buffer = buffer
      this.#bytes = new Uint8Array(buffer)
      this.#view = new DataView(buffer)
    }
    const offset = bytes.byteOffset
    this.pos = offset
    this.end = offset + bytes.byteLength
  }

  /** Reads `bytes[start, end)`, a region of a buffer this reader may already know. */
  resetRange(bytes: Uint8Array, start: number, end: number): void {
    if (bytes !== this.#bytes) {
      this.#buffer = bytes.buffer
      this.#bytes = bytes.byteOffset === 0 ? bytes : new Uint8Array(bytes.buffer)
      this.#view = new DataView(bytes.buffer)
      start += bytes.byteOffset
      end += bytes.byteOffset
    }
    this.pos = start
    this.end = end
  }

  /**
   * Steps over the next value without building it; true only when {@link MsgpackReader.value}
   * would read it (and it alone decides what is taken: this accepts less, never more). What it
   * accepts: ints, finite float 64, nil, booleans, ASCII strings, arrays, maps whose keys are
   * ASCII strings other than `__proto__`, timestamps within the Date range; `depth` as for
   * `value`. False leaves `pos` anywhere.
   */
  skipValue(depth: number): boolean {
    if (this.pos >= this.end) return false
    const bytes = this.#bytes
    const b = bytes[this.pos]!
    if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      this.pos++
      return true
    }
    if (b <= 0x8f) return this.#skipMap(b - 0x80, 1, depth)
    if (b <= 0x9f) return this.#skipArray(b - 0x90, 1, depth)
    if (b <= 0xbf) return this.#skipAscii(b - 0xa0, 1)
    const p = this.pos
    const left = this.end - p
    const view = this.#view
    switch (b) {
      case 0xcb:
        if (left < 9 || !Number.isFinite(view.getFloat64(p + 1))) return false
        this.pos = p + 9
        return true
      case 0xcc:
      case 0xd0:
        return this.#skipFixed(2)
      case 0xcd:
      case 0xd1:
        return this.#skipFixed(3)
      case 0xce:
      case 0xd2:
        return this.#skipFixed(5)
      case 0xd9:
        return left >= 2 && this.#skipAscii(bytes[p + 1]!, 2)
      case 0xda:
        return left >= 3 && this.#skipAscii(view.getUint16(p + 1), 3)
      case 0xdb:
        return left >= 5 && this.#skipAscii(view.getUint32(p + 1), 5)
      case 0xdc:
        return left >= 3 && this.#skipArray(view.getUint16(p + 1), 3, depth)
      case 0xdd:
        return left >= 5 && this.#skipArray(view.getUint32(p + 1), 5, depth)
      case 0xde:
        return left >= 3 && this.#skipMap(view.getUint16(p + 1), 3, depth)
      case 0xdf:
        return left >= 5 && this.#skipMap(view.getUint32(p + 1), 5, depth)
      case 0xd6:
      case 0xd7:
      case 0xc7:
        return this.#skipTimestamp(b)
      default:
        return false
    }
  }

  #skipFixed(size: number): boolean {
    if (this.end - this.pos < size) return false
    this.pos += size
    return true
  }

  /** A string of `length` bytes after a header of `header` bytes, all ASCII (beyond ASCII: `value` decides). */
  #skipAscii(length: number, header: number): boolean {
    const start = this.pos + header
    const end = start + length
    if (end > this.end) return false
    const bytes = this.#bytes
    for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return false
    this.pos = end
    return true
  }

  #skipArray(size: number, header: number, depth: number): boolean {
    if (depth >= MAX_DEPTH || size > this.end - this.pos - header) return false
    this.pos += header
    for (let i = 0; i < size; i++) if (!this.skipValue(depth + 1)) return false
    return true
  }

  #skipMap(size: number, header: number, depth: number): boolean {
    if (depth >= MAX_DEPTH || 2 * size > this.end - this.pos - header) return false
    this.pos += header
    const bytes = this.#bytes
    for (let i = 0; i < size; i++) {
      // A key: a fixstr or str 8 of ASCII, not "__proto__".
      if (this.pos >= this.end) return false
      const b = bytes[this.pos]!
      let length: number
      let header: number
      if (b >= 0xa0 && b <= 0xbf) {
        length = b - 0xa0
        header = 1
      } else if (b === 0xd9 && this.pos + 1 < this.end) {
        length = bytes[this.pos + 1]!
        header = 2
      } else {
        return false
      }
      if (length === 9 && this.#isProtoKey(this.pos + header)) return false
      if (!this.#skipAscii(length, header)) return false
      if (!this.skipValue(depth + 1)) return false
    }
    return true
  }

  /** True when the 9 bytes at `at` spell `__proto__` (the caller checked they are in range or will be). */
  #isProtoKey(at: number): boolean {
    if (at + 9 > this.end) return false
    const b = this.#bytes
    for (let i = 0; i < 9; i++) if (b[at + i] !== PROTO_KEY[i]) return false
    return true
  }

  /** A timestamp as `#timestamp` reads it, its time checked against the Date range without making a Date. */
  #skipTimestamp(b: number): boolean {
    const p = this.pos
    const view = this.#view
    let ms: number
    if (b === 0xd6) {
      if (this.end - p < 6 || view.getInt8(p + 1) !== -1) return false
      ms = view.getUint32(p + 2) * 1e3
      this.pos = p + 6
    } else if (b === 0xd7) {
      if (this.end - p < 10 || view.getInt8(p + 1) !== -1) return false
      const high = view.getUint32(p + 2)
      ms = ((high & 0x3) * 0x1_0000_0000 + view.getUint32(p + 6)) * 1e3 + (high >>> 2) / 1e6
      this.pos = p + 10
    } else {
      if (this.end - p < 15 || view.getUint8(p + 1) !== 12 || view.getInt8(p + 2) !== -1) return false
      ms = (view.getInt32(p + 7) * 0x1_0000_0000 + view.getUint32(p + 11)) * 1e3 + view.getUint32(p + 3) / 1e6
      this.pos = p + 15
    }
    // The Date range (ECMAScript TimeClip): beyond it `new Date` is invalid, and `value` falls back.
    return Math.abs(ms) <= 8.64e15
  }

  /** The header of an array: its length, or -1 when the next value is not an array. */
  arrayHeader(): number {
    if (this.pos >= this.end) return -1
    const b = this.#bytes[this.pos]!
    if (b >= 0x90 && b <= 0x9f) {
      this.pos++
      return b - 0x90
    }
    if (b === 0xdc && this.pos + 3 <= this.end) {
      const n = this.#view.getUint16(this.pos + 1)
      this.pos += 3
      return n
    }
    return -1
  }

  /** A non-negative integer of up to 32 bits, or -1 when the next value is not one. */
  uint(): number {
    if (this.pos >= this.end) return -1
    const b = this.#bytes[this.pos]!
    if (b < 0x80) {
      this.pos++
      return b
    }
    return this.#uintWide(b)
  }

  #uintWide(b: number): number {
    const p = this.pos
    if (b === 0xcc && p + 2 <= this.end) {
      this.pos = p + 2
      return this.#bytes[p + 1]!
    }
    if (b === 0xcd && p + 3 <= this.end) {
      this.pos = p + 3
      return this.#view.getUint16(p + 1)
    }
    if (b === 0xce && p + 5 <= this.end) {
      this.pos = p + 5
      return this.#view.getUint32(p + 1)
    }
    return -1
  }

  /** Any finite number written as an int (up to 32 bits) or float 64; NaN when the next value is not one. */
  number(): number {
    if (this.pos >= this.end) return Number.NaN
    const b = this.#bytes[this.pos]!
    if (b === 0xcb && this.pos + 9 <= this.end) {
      const n = this.#view.getFloat64(this.pos + 1)
      this.pos += 9
      return Number.isFinite(n) ? n : Number.NaN
    }
    const v = this.value(0)
    return typeof v === 'number' ? v : Number.NaN
  }

  /** A string, or FALLBACK when the next value is not one (or not valid UTF-8). */
  string(): string | typeof FALLBACK {
    if (this.pos >= this.end) return FALLBACK
    const b = this.#bytes[this.pos]!
    if (b >= 0xa0 && b <= 0xbf) {
      this.pos++
      return this.#utf8(b - 0xa0)
    }
    if (b === 0xd9 && this.pos + 2 <= this.end) {
      const length = this.#bytes[this.pos + 1]!
      this.pos += 2
      return this.#utf8(length)
    }
    if (b === 0xda && this.pos + 3 <= this.end) {
      const length = this.#view.getUint16(this.pos + 1)
      this.pos += 3
      return this.#utf8(length)
    }
    if (b === 0xdb && this.pos + 5 <= this.end) {
      const length = this.#view.getUint32(this.pos + 1)
      this.pos += 5
      return this.#utf8(length)
    }
    return FALLBACK
  }

  /** The bytes of the string that is next (header skipped), as [start, end) offsets of `bytes()`; -1 when it is not a fixstr or str 8. */
  stringBytes(): number {
    if (this.pos >= this.end) return -1
    const b = this.#bytes[this.pos]!
    let length: number
    if (b >= 0xa0 && b <= 0xbf) {
      length = b - 0xa0
      this.pos++
    } else if (b === 0xd9 && this.pos + 2 <= this.end) {
      length = this.#bytes[this.pos + 1]!
      this.pos += 2
    } else {
      return -1
    }
    if (this.pos + length > this.end) return -1
    const start = this.pos
    this.pos += length
    return start
  }

  /** The whole buffer `pos` and `end` are offsets into. */
  bytes(): Uint8Array {
    return this.#bytes
  }

  /** Any value, frozen (objects, arrays and Dates), or FALLBACK. `depth`: containers around it. */
  value(depth: number): unknown {
    if (this.pos >= this.end) return FALLBACK
    const bytes = this.#bytes
    const b = bytes[this.pos]!
    if (b < 0x80) {
      this.pos++
      return b
    }
    if (b >= 0xe0) {
      this.pos++
      return b - 0x100
    }
    if (b <= 0x8f) return this.#map(b - 0x80, 1, depth)
    if (b <= 0x9f) return this.#array(b - 0x90, 1, depth)
    if (b <= 0xbf) return this.string()
    const p = this.pos
    const view = this.#view
    const left = this.end - p
    switch (b) {
      case 0xc0:
        this.pos++
        return null
      case 0xc2:
        this.pos++
        return false
      case 0xc3:
        this.pos++
        return true
      case 0xcb: {
        if (left < 9) return FALLBACK
        const n = view.getFloat64(p + 1)
        if (!Number.isFinite(n)) return FALLBACK
        this.pos = p + 9
        return n
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
        return this.#uintOrFallback(b)
      case 0xd0:
        if (left < 2) return FALLBACK
        this.pos = p + 2
        return view.getInt8(p + 1)
      case 0xd1:
        if (left < 3) return FALLBACK
        this.pos = p + 3
        return view.getInt16(p + 1)
      case 0xd2:
        if (left < 5) return FALLBACK
        this.pos = p + 5
        return view.getInt32(p + 1)
      case 0xd9:
      case 0xda:
      case 0xdb:
        return this.string()
      case 0xdc:
        return left < 3 ? FALLBACK : this.#array(view.getUint16(p + 1), 3, depth)
      case 0xdd:
        return left < 5 ? FALLBACK : this.#array(view.getUint32(p + 1), 5, depth)
      case 0xde:
        return left < 3 ? FALLBACK : this.#map(view.getUint16(p + 1), 3, depth)
      case 0xdf:
        return left < 5 ? FALLBACK : this.#map(view.getUint32(p + 1), 5, depth)
      case 0xd6: // fixext 4
      case 0xd7: // fixext 8
      case 0xc7: // ext 8
        return this.#timestamp(b)
      default:
        // bin, float 32, (u)int 64, other extensions: the codec's own rules.
        return FALLBACK
    }
  }

  #uintOrFallback(b: number): number | typeof FALLBACK {
    const n = this.#uintWide(b)
    return n < 0 ? FALLBACK : n
  }

  #array(size: number, header: number, depth: number): unknown {
    // Every item takes a byte at least: a larger size is a lie (the codec refuses it).
    if (depth >= MAX_DEPTH || size > this.end - this.pos - header) return FALLBACK
    this.pos += header
    const array = new Array<unknown>(size)
    for (let i = 0; i < size; i++) {
      const item = this.value(depth + 1)
      if (item === FALLBACK) return FALLBACK
      array[i] = item
    }
    return Object.freeze(array)
  }

  #map(size: number, header: number, depth: number): unknown {
    if (depth >= MAX_DEPTH || 2 * size > this.end - this.pos - header) return FALLBACK
    this.pos += header
    const record: Record<string, unknown> = {}
    for (let i = 0; i < size; i++) {
      const key = this.string()
      // A key that is a number, or "__proto__" (refused by the codec): its rules decide.
      if (key === FALLBACK || key === '__proto__') return FALLBACK
      const item = this.value(depth + 1)
      if (item === FALLBACK) return FALLBACK
      // Not "__proto__": an own data property, as the codec's decoder assigns it.
      record[key] = item
    }
    return Object.freeze(record)
  }

  /** The timestamp extension (type -1) of 4, 8 or 12 bytes, decoded as `@msgpack/msgpack` does. */
  #timestamp(b: number): unknown {
    const p = this.pos
    const view = this.#view
    let date: Date
    if (b === 0xd6) {
      if (this.end - p < 6 || view.getInt8(p + 1) !== -1) return FALLBACK
      date = new Date(view.getUint32(p + 2) * 1e3)
      this.pos = p + 6
    } else if (b === 0xd7) {
      if (this.end - p < 10 || view.getInt8(p + 1) !== -1) return FALLBACK
      const high = view.getUint32(p + 2)
      const sec = (high & 0x3) * 0x1_0000_0000 + view.getUint32(p + 6)
      date = new Date(sec * 1e3 + (high >>> 2) / 1e6)
      this.pos = p + 10
    } else {
      if (this.end - p < 15 || view.getUint8(p + 1) !== 12 || view.getInt8(p + 2) !== -1) return FALLBACK
      const nsec = view.getUint32(p + 3)
      const sec = view.getInt32(p + 7) * 0x1_0000_0000 + view.getUint32(p + 11)
      date = new Date(sec * 1e3 + nsec / 1e6)
      this.pos = p + 15
    }
    if (Number.isNaN(date.getTime())) return FALLBACK
    return Object.freeze(date)
  }

  /** `length` bytes of UTF-8 at `pos`, or FALLBACK (past the end, or not valid UTF-8). */
  #utf8(length: number): string | typeof FALLBACK {
    const start = this.pos
    if (start + length > this.end) return FALLBACK
    this.pos = start + length
    if (length <= MAX_SHORT_STRING) {
      const s = this.#strings.get(this.#bytes, start, length)
      if (s !== undefined) return s
    }
    try {
      return utf8Fatal.decode(this.#bytes.subarray(start, start + length))
    } catch {
      return FALLBACK
    }
  }
}

/** Strings of at most this many bytes are looked up in {@link ShortStrings}. */
const MAX_SHORT_STRING = 16
const SHORT_SLOTS = 1024

/**
 * Recently decoded short ASCII strings by their bytes (map keys, event types, codes such as
 * currencies): one string kept and shared instead of one made per event, as `@msgpack/msgpack`
 * caches map keys. Direct-mapped: a slot holds the last string that hashed to it.
 */
class ShortStrings {
  readonly #bytes = new Uint8Array(SHORT_SLOTS * MAX_SHORT_STRING)
  readonly #lengths = new Int8Array(SHORT_SLOTS).fill(-1)
  readonly #strings: (string | undefined)[] = new Array<string | undefined>(SHORT_SLOTS).fill(undefined)

  /** The ASCII string of `bytes[start, start + length)`; `undefined` when it holds a byte beyond ASCII. */
  get(bytes: Uint8Array, start: number, length: number): string | undefined {
    let h = length
    for (let i = start; i < start + length; i++) {
      const c = bytes[i]!
      if (c >= 0x80) return undefined
      h = Math.imul(h ^ c, 0x01000193)
    }
    const slot = (h ^ (h >>> 15)) & (SHORT_SLOTS - 1)
    const at = slot * MAX_SHORT_STRING
    const held = this.#bytes
    if (this.#lengths[slot] === length) {
      let same = true
      for (let i = 0; i < length; i++) {
        if (held[at + i] !== bytes[start + i]) {
          same = false
          break
        }
      }
      if (same) return this.#strings[slot]
    }
    const s = String.fromCharCode.apply(null, bytes.subarray(start, start + length) as unknown as number[])
    held.set(bytes.subarray(start, start + length), at)
    this.#lengths[slot] = length
    this.#strings[slot] = s
    return s
  }
}
