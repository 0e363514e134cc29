import type { FileSystem } from '@quire/vfs'
import { Wal, type WalEntry, type WalOptions } from '../src/index.js'

export const DIR = '/wal'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b))

export async function collect(wal: Wal, fromSeq?: number): Promise<WalEntry[]> {
  const out: WalEntry[] = []
  for await (const e of wal.replay(fromSeq === undefined ? {} : { fromSeq })) out.push(e)
  return out
}

/** Plain, comparable form of an entry. */
export function plain(e: WalEntry): { seq: number; op: string; key: string | null; value: string | null } {
  return { seq: e.seq, op: e.op, key: dec(e.key), value: dec(e.value) }
}

/** Opens, replays everything, closes: the recovered state. */
export async function readAll(fs: FileSystem, opts: WalOptions = {}): Promise<{ entries: ReturnType<typeof plain>[]; lastSeq: number }> {
  const wal = await Wal.open(DIR, { ...opts, fs })
  try {
    return { entries: (await collect(wal)).map(plain), lastSeq: wal.lastSeq }
  } finally {
    await wal.close()
  }
}
