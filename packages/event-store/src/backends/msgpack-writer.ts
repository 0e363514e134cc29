import { MAX_VALUE_DEPTH } from '@quire/codec'

/*
 * A msgpack encoder for the WAL backend's event values, writing the same bytes as
 * `@quire/codec`'s `msgpackCodec.encode` (`@msgpack/msgpack` with `useBigInt64`) for the values
 * the store keeps: null, booleans, finite numbers, well-formed strings, arrays, plain objects and
 * Dates. It exists for speed: `msgpackCodec.encode` walks every value once to validate it, then
 * again to encode it, and returns a fresh buffer per value; this walks once, into a reused
 * buffer. On anything else it gives up (returns false) and the caller encodes with
 * `msgpackCodec`, whose errors then stand. test/wal-format.test.ts compares the bytes of both
 * over random values.
 */

/** Strings longer than this (in UTF-16 units) go through the native encoder. */
const LONG_STRING = 255
/** A buffer grown past this by one big value is dropped after use. */
const KEEP_BYTES = 1024 * 1024

const utf8Encoder = new TextEncoder()

/**
 * Writes values at the end of a buffer. Used as a slab (encodeWalCommit): each piece (a commit)
 * starts where the last one ended, so that views of earlier pieces stay valid, and when the
 * buffer fills up the piece being written moves to a new buffer (the old one stays with the views
 * that hold it). `reset` starts again at 0, for a caller that holds no views.
 */
export class MsgpackWriter {
  bytes: Uint8Array = new Uint8Array(4096)
  #view: DataView = new DataView(this.bytes.buffer)
  /** `bytes.byteLength`, kept in a field. */
  #capacity = 4096
  pos = 0
  /** Where the current piece starts; growing the buffer keeps `[start, pos)` only. */
  start = 0

  reset(): void {
    this.pos = 0
    this.start = 0
  }

  /**
   * Starts a piece at the end of the buffer, or at the start of a fresh buffer of `freshBytes`
   * when fewer than `minRoom` bytes are left. Bytes before the piece are never written again.
   */
  beginPiece(minRoom: number, freshBytes: number): void {
    if (this.#capacity - this.pos < minRoom) {
      this.#use(new Uint8Array(Math.max(freshBytes, minRoom)))
      this.pos = 0
    }
    this.start = this.pos
  }

  /** Writes `value` nested `depth` containers deep; false (with `pos` undefined) when it is not one this writer takes. */
  value(value: unknown, depth: number): boolean {
    switch (typeof value) {
      case 'string':
        return this.string(value)
      case 'number':
        if (!Number.isFinite(value)) return false
        this.number(value)
        return true
      case 'boolean':
        this.#room(1)
        this.bytes[this.pos++] = value ? 0xc3 : 0xc2
        return true
      case 'object':
        if (value === null) {
          this.#room(1)
          this.bytes[this.pos++] = 0xc0
          return true
        }
        return this.#object(value, depth)
      default:
        return false
    }
  }

  /** As `@msgpack/msgpack` with `useBigInt64`: safe integers of up to 32 bits as ints, every other number as float 64. */
  number(n: number): void {
    this.#room(9)
    const b = this.bytes
    const p = this.pos
    if (Number.isSafeInteger(n)) {
      if (n >= 0) {
        if (n < 0x80) {
          b[p] = n
          this.pos = p + 1
          return
        }
        if (n < 0x100) {
          b[p] = 0xcc
          b[p + 1] = n
          this.pos = p + 2
          return
        }
        if (n < 0x10000) {
          b[p] = 0xcd
          this.#view.setUint16(p + 1, n)
          this.pos = p + 3
          return
        }
        if (n < 0x100000000) {
          b[p] = 0xce
          this.#view.setUint32(p + 1, n)
          this.pos = p + 5
          return
        }
      } else {
        if (n >= -0x20) {
          b[p] = 0xe0 | (n + 0x20)
          this.pos = p + 1
          return
        }
        if (n >= -0x80) {
          b[p] = 0xd0
          this.#view.setInt8(p + 1, n)
          this.pos = p + 2
          return
        }
        if (n >= -0x8000) {
          b[p] = 0xd1
          this.#view.setInt16(p + 1, n)
          this.pos = p + 3
          return
        }
        if (n >= -0x80000000) {
          b[p] = 0xd2
          this.#view.setInt32(p + 1, n)
          this.pos = p + 5
          return
        }
      }
    }
    b[p] = 0xcb
    this.#view.setFloat64(p + 1, n)
    this.pos = p + 9
  }

  /** A string as UTF-8; false when it holds a lone surrogate (UTF-8 cannot carry it). */
  string(text: string): boolean {
    const n = text.length
    if (n > LONG_STRING) return this.#longString(text)
    // Worst case 3 bytes per UTF-16 unit, plus the header.
    this.#room(5 + 3 * n)
    const start = this.pos
    // The header is guessed for ASCII (one byte per unit: no move); beyond ASCII the bytes move
    // once their length is known (str 16 at most: n <= LONG_STRING).
    const headerBytes = n < 32 ? 1 : n < 0x100 ? 2 : 3
    const end = this.#utf8At(text, start + headerBytes)
    if (end < 0) return false
    const b = this.bytes
    const length = end - start - headerBytes
    const needed = length < 32 ? 1 : length < 0x100 ? 2 : 3
    if (needed !== headerBytes) b.copyWithin(start + needed, start + headerBytes, end)
    if (needed === 1) {
      b[start] = 0xa0 + length
    } else if (needed === 2) {
      b[start] = 0xd9
      b[start + 1] = length
    } else {
      b[start] = 0xda
      this.#view.setUint16(start + 1, length)
    }
    this.pos = start + needed + length
    return true
  }

  /** The UTF-8 bytes of `text` alone (no msgpack header); false when it holds a lone surrogate. */
  utf8(text: string): boolean {
    this.#room(3 * text.length)
    const end = this.#utf8At(text, this.pos)
    if (end < 0) return false
    this.pos = end
    return true
  }

  /** Bytes as they are (a value encoded elsewhere). */
  raw(bytes: Uint8Array): void {
    this.#room(bytes.byteLength)
    this.bytes.set(bytes, this.pos)
    this.pos += bytes.byteLength
  }

  /** Writes `text` as UTF-8 at `p` (room checked by the caller); the end, or -1 at a lone surrogate. */
  #utf8At(text: string, p: number): number {
    const b = this.bytes
    const n = text.length
    for (let i = 0; i < n; i++) {
      let c = text.charCodeAt(i)
      if (c < 0x80) {
        b[p++] = c
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6)
        b[p++] = 0x80 | (c & 0x3f)
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const next = i + 1 < n ? text.charCodeAt(i + 1) : 0
          if (c > 0xdbff || next < 0xdc00 || next > 0xdfff) return -1
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
          i++
          b[p++] = 0xf0 | (c >> 18)
          b[p++] = 0x80 | ((c >> 12) & 0x3f)
        } else {
          b[p++] = 0xe0 | (c >> 12)
        }
        b[p++] = 0x80 | ((c >> 6) & 0x3f)
        b[p++] = 0x80 | (c & 0x3f)
      }
    }
    return p
  }

  /** {@link MsgpackWriter.string} by the native encoder, which is faster past a few hundred characters. */
  #longString(text: string): boolean {
    if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) return false
    const length = Buffer.byteLength(text, 'utf8')
    this.#room(5 + length)
    const b = this.bytes
    const p = this.pos
    let at: number
    if (length < 0x10000) {
      b[p] = 0xda
      this.#view.setUint16(p + 1, length)
      at = p + 3
    } else {
      b[p] = 0xdb
      this.#view.setUint32(p + 1, length)
      at = p + 5
    }
    // Longer than LONG_STRING characters, so at least 256 bytes: never a fixstr or str 8.
    utf8Encoder.encodeInto(text, b.subarray(at, at + length))
    this.pos = at + length
    return true
  }

  /** After a piece: drops a buffer grown large by one big value, so that it is not kept for good. */
  shrink(): void {
    if (this.#capacity > KEEP_BYTES) {
      this.#use(new Uint8Array(4096))
      this.pos = 0
      this.start = 0
    }
  }

  /** An array header for `size` items. */
  arrayHeader(size: number): void {
    this.#room(5)
    if (size < 16) this.bytes[this.pos++] = 0x90 + size
    else if (size < 0x10000) {
      this.bytes[this.pos] = 0xdc
      this.#view.setUint16(this.pos + 1, size)
      this.pos += 3
    } else {
      this.bytes[this.pos] = 0xdd
      this.#view.setUint32(this.pos + 1, size)
      this.pos += 5
    }
  }

  #object(value: object, depth: number): boolean {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto === Date.prototype) return this.#date(value as Date)
    // The codec refuses containers this deep; let it say so.
    if (depth >= MAX_VALUE_DEPTH) return false
    if (proto === Array.prototype && Array.isArray(value)) {
      const array = value as readonly unknown[]
      this.arrayHeader(array.length)
      for (let i = 0; i < array.length; i++) if (!this.value(array[i], depth + 1)) return false
      return true
    }
    if (proto !== Object.prototype && proto !== null) return false
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
    const size = keys.length
    this.#room(5)
    if (size < 16) this.bytes[this.pos++] = 0x80 + size
    else if (size < 0x10000) {
      this.bytes[this.pos] = 0xde
      this.#view.setUint16(this.pos + 1, size)
      this.pos += 3
    } else {
      this.bytes[this.pos] = 0xdf
      this.#view.setUint32(this.pos + 1, size)
      this.pos += 5
    }
    for (let i = 0; i < size; i++) {
      const key = keys[i]!
      if (key === '__proto__' || !this.string(key)) return false
      if (!this.value(record[key], depth + 1)) return false
    }
    return true
  }

  /** The msgpack timestamp extension (type -1) in its shortest form, as `@msgpack/msgpack` writes it. */
  #date(date: Date): boolean {
    const ms = date.getTime()
    if (Number.isNaN(ms)) return false
    const sec = Math.floor(ms / 1e3)
    const nsec = (ms - sec * 1e3) * 1e6
    this.#room(15)
    const b = this.bytes
    const p = this.pos
    if (sec >= 0 && sec <= 0x3_ffff_ffff) {
      if (nsec === 0 && sec <= 0xffff_ffff) {
        b[p] = 0xd6 // fixext 4: seconds
        b[p + 1] = 0xff
        this.#view.setUint32(p + 2, sec)
        this.pos = p + 6
      } else {
        b[p] = 0xd7 // fixext 8: nanoseconds (30 bits) and seconds (34 bits)
        b[p + 1] = 0xff
        this.#view.setUint32(p + 2, ((nsec << 2) | ((sec / 0x1_0000_0000) & 0x3)) >>> 0)
        this.#view.setUint32(p + 6, sec >>> 0)
        this.pos = p + 10
      }
    } else {
      b[p] = 0xc7 // ext 8 of 12 bytes: nanoseconds (32 bits), seconds (signed 64 bits)
      b[p + 1] = 12
      b[p + 2] = 0xff
      this.#view.setUint32(p + 3, nsec)
      this.#view.setBigInt64(p + 7, BigInt(sec))
      this.pos = p + 15
    }
    return true
  }

  #use(bytes: Uint8Array): void {
    this.bytes = bytes
    this.#view = new DataView(bytes.buffer)
    this.#capacity = bytes.byteLength
  }

  #room(bytes: number): void {
    const needed = this.pos + bytes
    // A field, not bytes.byteLength: this runs for every value written, and the getter is not free.
    if (needed <= this.#capacity) return
    // The piece moves to a new buffer; what precedes it stays in the old one, untouched.
    const piece = this.pos - this.start
    const grown = new Uint8Array(Math.max(piece + bytes, 2 * this.#capacity))
    grown.set(this.bytes.subarray(this.start, this.pos))
    this.#use(grown)
    this.pos = piece
    this.start = 0
  }
}
