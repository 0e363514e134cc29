import { MvccStore } from '@quire/mvcc'
const dir = process.argv[2]!; const n = Number(process.argv[3] ?? 1_000_000)
const keyOf = (i: number): string => `acct-${String(i % 100_000).padStart(8, '0')}`
const db = await MvccStore.open(dir, { sync: 'none' })
let next = 0
await Promise.all(Array.from({ length: 256 }, async () => { while (next < n) { const i = next++; await db.transaction(async (tx) => { await tx.put(keyOf(i), new Uint8Array(100).fill(i & 0xff)) }) } }))
await db.close()
