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
  const ops: WalOp[] = []
  for (const key of writes.keys()) {
    const value = writes.get(key)
    const keyBytes = Buffer.from(key, 'utf8')
    ops.push(value === undefined ? { op: 'delete', key: keyBytes } : { op: 'put', key: keyBytes, value })
  }
  ops.push({ op: 'put', key: COMMIT_INFO_KEY, value: encodeCommitInfo(ts, writes.size) })
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

export function isCommitInfo(entry: WalEntry): boolean {
  return entry.key.length === 1 && entry.key[0] === 0xff
}

/** Decodes a commit-info value; throws `MvccCorruptError` when it is not one. */
export function decodeCommitInfo(entry: WalEntry): { ts: number; writes: number } {
  const value = entry.value
  if (value !== null && value.length > 0 && value[0]! > COMMIT_INFO_VERSION) {
    throw new UnsupportedVersionError(`WAL entry ${entry.seq} is a commit record of version ${value[0]!}, written by a newer release; this release reads ${COMMIT_INFO_VERSION}`)
  }
  if (value === null || value.length !== COMMIT_INFO_BYTES || value[0] !== COMMIT_INFO_VERSION) {
    throw new MvccCorruptError(`WAL entry ${entry.seq} is not a valid commit-info record`)
  }
  return { ts: readU32(value, 1) + readU32(value, 5) * 2 ** 32, writes: readU32(value, 9) }
}

/**
 * Groups replayed WAL entries into committed transactions and hands each one with a commit
 * timestamp above `afterTs` to `apply`: a group is the entries up to and including a
 * commit-info entry. Groups at or below `afterTs` (already in the checkpoint) are skipped
 * without decoding their keys. A plain loop with a callback (not a nested async generator) and
 * reused buffers, because recovery runs it millions of times. `apply` gets the group's keys and
 * values (`undefined`: a delete) and their count; the arrays are reused for the next group.
 */
export async function replayCommits(
  entries: AsyncIterable<WalEntry>,
  afterTs: number,
  apply: (ts: number, position: number, keys: readonly string[], values: readonly (Uint8Array | undefined)[], count: number) => void,
): Promise<void> {
  const raw: WalEntry[] = []
  const keys: string[] = []
  const values: (Uint8Array | undefined)[] = []
  let count = 0
  for await (const entry of entries) {
    if (!isCommitInfo(entry)) {
      raw[count++] = entry
      continue
    }
    const info = decodeCommitInfo(entry)
    if (info.writes !== count) {
      throw new MvccCorruptError(`commit ${info.ts} at WAL seq ${entry.seq} announces ${info.writes} writes but ${count} precede it`)
    }
    if (info.ts > afterTs) {
      for (let i = 0; i < count; i++) {
        const e = raw[i]!
        keys[i] = decodeKey(e)
        values[i] = e.isTombstone ? undefined : (e.value ?? undefined)
      }
      apply(info.ts, entry.seq, keys, values, count)
    }
    count = 0
  }
  if (count > 0) {
    // The WAL never yields part of a batch, so writes without their commit info are not ours.
    throw new MvccCorruptError(`WAL entries from seq ${raw[0]!.seq} on are not followed by a commit-info record`)
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true })

function decodeKey(entry: WalEntry): string {
  try {
    return textDecoder.decode(entry.key)
  } catch (error) {
    throw new MvccCorruptError(`WAL entry ${entry.seq} has a key that is not valid UTF-8`, { cause: error })
  }
}
