import { MvccStore } from '@quire/mvcc'
const t0 = process.hrtime.bigint()
const db = await MvccStore.open(process.argv[2]!)
const s = Number(process.hrtime.bigint() - t0) / 1e9
console.log(JSON.stringify({ seconds: s, keys: db.stats().keys }))
await db.close()
