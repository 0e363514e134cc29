import { msgpackCodec } from '@quire/codec'
import { EventStoreCorruptError } from '../errors.js'
import { FALLBACK, MsgpackReader } from '../msgpack-reader.js'
import { deepFreeze } from './deep-freeze.js'

/** Size of each block of the arena. */
const BLOCK_BYTES = 1024 * 1024
/** A value larger than this gets a block of its own (so that a block is not mostly left unused). */
const OWN_BLOCK_BYTES = BLOCK_BYTES / 4
/** Handles are block * BLOCK_SPAN + offset. */
const BLOCK_SPAN = 2 ** 32

/**
 * The encoded `data` of replayed events (see encoded-value.ts), copied out of the log's read
 * buffers into blocks of 1 MiB (the read buffers also hold keys, headers and checksums, about
 * five times as much). A value is added once and decoded when its event is first read.
 */
export class ValueArena {
  readonly #blocks: Uint8Array[] = []
  #block: Uint8Array | undefined
  #used = BLOCK_BYTES
  readonly #reader = new MsgpackReader()

  /** Copies `bytes[start, end)` in; returns its handle. */
  add(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start
    let block: Uint8Array
    let at: number
    if (length > OWN_BLOCK_BYTES) {
      block = new Uint8Array(length)
      at = 0
      this.#blocks.push(block)
    } else {
      if (this.#used + length > BLOCK_BYTES || this.#block === undefined) {
        this.#block = new Uint8Array(BLOCK_BYTES)
        this.#blocks.push(this.#block)
        this.#used = 0
      }
      block = this.#block
      at = this.#used
      this.#used += length
    }
    // Event data is small: a loop copies it faster than a view and `set`.
    if (length <= 64) for (let i = 0; i < length; i++) block[at + i] = bytes[start + i]!
    else block.set(bytes.subarray(start, end), at)
    return (this.#blocks.length - 1) * BLOCK_SPAN + at
  }

  /** The value of `length` bytes at `handle`, frozen. @throws `EventStoreCorruptError` (a value `add` was told is readable is not) */
  decode(handle: number, length: number): unknown {
    const at = handle % BLOCK_SPAN
    return this.decodeRange(this.#blocks[Math.floor(handle / BLOCK_SPAN)]!, at, at + length)
  }

  /** The value of `bytes[at, end)`, frozen, read as {@link ValueArena.decode} reads. */
  decodeRange(block: Uint8Array, at: number, end: number): unknown {
    const length = end - at
    const r = this.#reader
    r.resetRange(block, at, end)
    // Depth 1: data is the item array's child, as when the entry was read.
    const value = r.value(1)
    if (value !== FALLBACK && r.pos === r.end) return value
    // Not reached for values skipValue accepted; the codec's reading, or its error, then stands.
    try {
      return deepFreeze(msgpackCodec.decode(block.slice(at, at + length)))
    } catch (err) {
      throw new EventStoreCorruptError(`event data no longer decodes (${err instanceof Error ? err.message : String(err)})`, { cause: err })
    }
  }
}
