import type { WalEntry, WalOp } from '@quire/wal'
import { MvccCorruptError, UnsupportedVersionError } from './errors.js'
import type { CommitWrites } from './engine.js'
import { readU32, writeU32 } from './little-endian.js'

/**
 * Key of the commit-info entry that ends every transaction's WAL batch. A single 0xFF byte is
 * never valid UTF-8, so no user key (always well-formed UTF-8) can be equal to it.
 */
export const COMMIT_INFO_KEY: Uint8Array = Uint8Array.of(0xff)
/** Version byte of the commit-info value. */
export const COMMIT_INFO_VERSION = 1
/** `[u8 version][u32 LE commitTs low][u32 LE commitTs high][u32 LE writes]`. */
export const COMMIT_INFO_BYTES = 13

/** The WAL batch of one commit: its writes in order, then the commit-info entry. */
export function commitBatch(ts: number, writes: CommitWrites): WalOp[] {
  // Sized once: pushing onto an empty array allocates room for 17 operations first.
  const ops = new Array<WalOp>(writes.size + 1)
  let at = 0
  for (const key of writes.keys()) {
    const value = writes.get(key)
    const keyBytes = Buffer.from(key, 'utf8')
    ops[at++] = value === undefined ? { op: 'delete', key: keyBytes } : { op: 'put', key: keyBytes, value }
  }
  ops[at] = { op: 'put', key: COMMIT_INFO_KEY, value: encodeCommitInfo(ts, writes.size) }
  return ops
}

/** The 13 commit-info bytes, written byte by byte (no DataView per commit). */
export function encodeCommitInfo(ts: number, writes: number): Uint8Array {
  const out = new Uint8Array(COMMIT_INFO_BYTES)
  out[0] = COMMIT_INFO_VERSION
  writeU32(out, 1, ts % 2 ** 32)
  writeU32(out, 5, Math.floor(ts / 2 ** 32))
  writeU32(out, 9, writes)
  return out
}

/**
 * The value of a commit-info entry, checked; throws `UnsupportedVersionError` for a newer
 * version and `MvccCorruptError` when it is not one. Its fields are read with `readU32` by the
 * caller (no object per commit: recovery reads one per transaction).
 */
function checkCommitInfo(entry: WalEntry): Uint8Array {
  const value = entry.value
  if (value !== null && value.length > 0 && value[0]! > COMMIT_INFO_VERSION) {
    throw new UnsupportedVersionError(`WAL entry ${entry.seq} is a commit record of version ${value[0]!}, written by a newer release; this release reads ${COMMIT_INFO_VERSION}`)
  }
  if (value === null || value.length !== COMMIT_INFO_BYTES || value[0] !== COMMIT_INFO_VERSION) {
    throw new MvccCorruptError(`WAL entry ${entry.seq} is not a valid commit-info record`)
  }
  return value
}

/** What `CommitReplay` hands each commit to: its keys, values (`undefined`: a delete) and count. */
export type ApplyCommit = (ts: number, position: number, keys: readonly string[], values: readonly (Uint8Array | undefined)[], count: number) => void

/**
 * Groups replayed WAL entries into committed transactions and hands each one with a commit
 * timestamp above `afterTs` to `apply`: a group is the entries up to and including a
 * commit-info entry. Groups at or below `afterTs` (already in the checkpoint) are skipped
 * without decoding their keys. `push` takes the WAL's entries as `Wal.open`'s `onRecover` (or
 * `Wal.replayChunks`) hands them out, one array per read chunk; the loop is plain with reused
 * buffers, because recovery runs it millions of times. `apply` gets the group's keys and values
 * and their count; the arrays are reused for the next group.
 */
export class CommitReplay {
  readonly #afterTs: number
  readonly #apply: ApplyCommit
  readonly #raw: WalEntry[] = []
  readonly #keys: string[] = []
  readonly #values: (Uint8Array | undefined)[] = []
  #count = 0
  readonly #keyText = new KeyDecoder()

  constructor(afterTs: number, apply: ApplyCommit) {
    this.#afterTs = afterTs
    this.#apply = apply
  }

  /** Takes the next entries of the log, in order. @throws `MvccCorruptError`, `UnsupportedVersionError`. */
  push(chunk: readonly WalEntry[]): void {
    const raw = this.#raw
    let count = this.#count
    for (let at = 0; at < chunk.length; at++) {
      const entry = chunk[at]!
      // The commit-info key is the single byte 0xFF (see COMMIT_INFO_KEY).
      if (entry.key.length !== 1 || entry.key[0] !== 0xff) {
        raw[count++] = entry
        continue
      }
      const info = checkCommitInfo(entry)
      const ts = readU32(info, 1) + readU32(info, 5) * 2 ** 32
      const writes = readU32(info, 9)
      if (writes !== count) {
        throw new MvccCorruptError(`commit ${ts} at WAL seq ${entry.seq} announces ${writes} writes but ${count} precede it`)
      }
      if (ts > this.#afterTs) {
        const keys = this.#keys
        const values = this.#values
        for (let i = 0; i < count; i++) {
          const e = raw[i]!
          keys[i] = this.#keyText.decode(e)
          values[i] = e.isTombstone ? undefined : (e.value ?? undefined)
        }
        this.#apply(ts, entry.seq, keys, values, count)
      }
      count = 0
    }
    this.#count = count
  }

  /** After the last entry. @throws `MvccCorruptError` when writes are left without their commit info. */
  finish(): void {
    if (this.#count > 0) {
      // The WAL never yields part of a batch, so writes without their commit info are not ours.
      throw new MvccCorruptError(`WAL entries from seq ${this.#raw[0]!.seq} on are not followed by a commit-info record`)
    }
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Decodes replayed keys (UTF-8 bytes) to strings. An all-ASCII key (the common case) is read as
 * latin1 (the same characters) through one Buffer view of the WAL's read chunk it lies in: about
 * twice as fast as a `TextDecoder` call per key, which recovery makes once per replayed write.
 * Any other key goes through the fatal `TextDecoder`, so a key that is not valid UTF-8 still
 * fails recovery with `MvccCorruptError`.
 */
class KeyDecoder {
  #chunk: ArrayBufferLike | undefined
  #view: Buffer | undefined

  decode(entry: WalEntry): string {
    const key = entry.key
    for (let i = 0; i < key.length; i++) if (key[i]! > 0x7f) return decodeUtf8Key(entry)
    if (key.buffer !== this.#chunk || this.#view === undefined) {
      this.#chunk = key.buffer
      this.#view = Buffer.from(key.buffer)
    }
    return this.#view.toString('latin1', key.byteOffset, key.byteOffset + key.length)
  }
}

function decodeUtf8Key(entry: WalEntry): string {
  try {
    return textDecoder.decode(entry.key)
  } catch (error) {
    throw new MvccCorruptError(`WAL entry ${entry.seq} has a key that is not valid UTF-8`, { cause: error })
  }
}
