// Child: opens one store (recovery) and prints {seconds, heapBytes, externalBytes, rssBytes,
// entries}: the open's wall time and what the open store holds in memory (after forced GCs).
// Usage: open-store.ts <mvcc|event-store-wal|event-store-ndjson|event-store-rk> <path> <scratch>
import { MvccStore } from '@quire/mvcc'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend, type EventStoreBackend } from '@quire/event-store'
import { settle } from './run-child.js'

const [kind, path, scratch] = process.argv.slice(2) as [string, string, string]

interface Opened {
  readonly entries: number
  close(): Promise<void>
}

const backendOf = (p: string): EventStoreBackend =>
  kind === 'event-store-wal' ? walBackend(p) : kind === 'event-store-ndjson' ? ndjsonBackend(p) : recordKeeperBackend(p)

async function open(p: string): Promise<Opened> {
  if (kind === 'mvcc') {
    const db = await MvccStore.open(p)
    return { entries: db.stats().keys, close: () => db.close() }
  }
  const store = await EventStore.open({ backend: backendOf(p) })
  return { entries: Number(store.lastPosition ?? 0), close: () => store.close() }
}

// Warm up on a scratch store of the same kind, so that loading and compiling the code is not
// counted as memory the measured store holds.
{
  const warm = await open(scratch)
  await warm.close()
}
settle()
const before = process.memoryUsage()
const started = process.hrtime.bigint()
const store = await open(path)
const seconds = Number(process.hrtime.bigint() - started) / 1e9
settle()
const after = process.memoryUsage()
const entries = store.entries
await store.close()
process.stdout.write(
  JSON.stringify({
    seconds,
    heapBytes: after.heapUsed - before.heapUsed,
    externalBytes: after.external - before.external,
    rssBytes: after.rss,
    entries,
  }),
)
