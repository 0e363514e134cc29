// Child: one point of a size curve for a Quire store held in memory (MVCC, the event store's
// WAL backend). It opens the store of n entries (recovery), timed, and reads the heap and
// external memory the open store holds; then opens the peer's store of n entries, timed; then
// runs the suite's durable writers on both, interleaved; prints a SizePoint. One fresh process
// per point: recovery and memory are measured as after a restart, and the 10 M-entry index is
// built once (a second open in the bench process would replay the whole log again).
// Usage: size-point.ts <mvcc|event-store-wal> <quire path> <peer path> <scratch path> <n> <point seconds>
import { open as openLmdb } from 'lmdb'
import { EventStore, walBackend } from '@quire/event-store'
import { MvccStore } from '@quire/mvcc'
import { ratesAt } from '../harness.js'
import { timed } from '../curves/size.js'
import { smallTx } from '../suites/mvcc/curves.js'
import { mvccKey } from '../suites/mvcc/fill.js'
import { sizeSubjects } from '../suites/event-store/curves.js'
import { EVENTS_PER_STREAM } from '../suites/event-store/fill.js'
import { SqliteEventTable } from '../suites/event-store/sqlite-event-table.js'
import { settle } from './run-child.js'
import type { SizePoint } from './size-point-result.js'

const [kind, quirePath, peerPath, scratch, nText, secondsText] = process.argv.slice(2) as [string, string, string, string, string, string]
const n = Number(nText)
const seconds = Number(secondsText)

/**
 * Opens the store at `quirePath` with `open` after a warm-up open of a scratch store of the same
 * kind (so that loading and compiling the code is not counted as memory the store holds), and
 * measures the open's wall time and the heap and external memory it added, both read after two
 * forced GCs.
 */
async function measureOpen<T>(open: (path: string) => Promise<T>, close: (store: T) => Promise<void>): Promise<{ store: T; open: SizePoint['open'] }> {
  await close(await open(scratch))
  settle()
  const before = process.memoryUsage()
  const t = await timed(() => open(quirePath))
  settle()
  const after = process.memoryUsage()
  return { store: t.value, open: { seconds: t.seconds, heapBytes: after.heapUsed - before.heapUsed, externalBytes: after.external - before.external } }
}

const progress = (line: string): void => void process.stderr.write(`    ${line}\n`)

let point: SizePoint
if (kind === 'mvcc') {
  progress(`opening the MvccStore of ${n} keys (replays its whole WAL)`)
  const { store, open } = await measureOpen((p) => MvccStore.open(p, { sync: 'always' }), (s) => s.close())
  const entries = store.stats().keys
  const peer = await timed(async () => {
    const db = openLmdb({ path: peerPath })
    if (db.get(mvccKey(n - 1)) === undefined) throw new Error('lmdb lost its last key')
    return db
  })
  try {
    const rates = await ratesAt(smallTx(n, store, peer.value), 256, { seconds, rounds: 2 })
    point = { entries, open, peerOpenSeconds: peer.seconds, rates: Object.fromEntries(rates), added: {} }
  } finally {
    await store.close()
    await peer.value.close()
  }
} else if (kind === 'event-store-wal') {
  progress(`opening the event store of ${n} events (rebuilds its index from the log)`)
  const { store, open } = await measureOpen((p) => EventStore.open({ backend: walBackend(p) }), (s) => s.close())
  const entries = Number(store.lastPosition ?? 0)
  const peer = await timed(async () => {
    const table = SqliteEventTable.open(peerPath)
    const rows = table.eventsAfter('fill-0-0', -1)
    if (rows.length !== EVENTS_PER_STREAM) throw new Error(`the SQLite table lost events (${rows.length} in a stream)`)
    return table
  })
  try {
    const added: Record<string, number> = {}
    const rates = await ratesAt(sizeSubjects(store, peer.value, added), 256, { seconds, rounds: 2 })
    point = { entries, open, peerOpenSeconds: peer.seconds, rates: Object.fromEntries(rates), added }
  } finally {
    await store.close()
    peer.value.close()
  }
} else {
  throw new Error(`no size point for '${kind}' (have mvcc, event-store-wal)`)
}
process.stdout.write(JSON.stringify(point))
