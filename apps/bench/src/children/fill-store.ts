// Child: fills a new store of one kind with exactly n entries (untimed setup of a size curve)
// and prints {seconds, entries}; progress lines go to stderr. A child, so that the 10 M-entry
// index a fill builds (~5 GB for MVCC) never sits in the bench's heap, and so that fills run
// side by side on both cores (a 10 M fill is CPU-bound).
// Usage: fill-store.ts <mvcc|event-store-wal|wal|sqlite-kv> <path> <n>
import { EventStore, walBackend } from '@quire/event-store'
import { fillProgress, since } from '../curves/size.js'
import { fillMvcc } from '../suites/mvcc/fill.js'
import { fill } from '../suites/event-store/fill.js'
import { fillSqliteKv, fillWal } from '../suites/wal/fill.js'

const [kind, dir, nText] = process.argv.slice(2) as [string, string, string]
const n = Number(nText)
const progress = fillProgress(`${kind} (child)`, n, process.stderr)
const started = process.hrtime.bigint()
if (kind === 'mvcc') {
  await fillMvcc(dir, n, progress)
} else if (kind === 'event-store-wal') {
  const store = await EventStore.open({ backend: walBackend(dir, { sync: 'none' }) })
  try {
    await fill(store, n, 'fill', progress)
  } finally {
    await store.close()
  }
} else if (kind === 'wal') {
  await fillWal(dir, n, progress)
} else if (kind === 'sqlite-kv') {
  fillSqliteKv(dir, n, progress)
} else {
  throw new Error(`no fill for '${kind}' (have mvcc, event-store-wal, wal, sqlite-kv)`)
}
process.stdout.write(JSON.stringify({ seconds: since(started), entries: n }))
