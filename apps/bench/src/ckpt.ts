import { MvccStore } from '@quire/mvcc'
const db = await MvccStore.open(process.argv[2]!)
console.log(await db.checkpoint())
await db.close()
