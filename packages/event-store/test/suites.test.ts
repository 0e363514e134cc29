import type { FileSystem } from '@quire/vfs'
import { appendLogSuite, storeLifecycleSuite } from '@quire/test-kit'
import { AppendFailedError, ClosedError, EventStore, InvalidArgumentError, StorePoisonedError } from '../src/index.js'
import { openNdjsonStore } from '../src/backends/ndjson.js'
import { openWalStore } from '../src/backends/wal.js'
import { backendFor, closeParts, NDJSON_FILE, STORE_DIR, storedEvent, type BackendName, type Parts } from './parts.js'

// The shared suites of @quire/test-kit, run against the event store's embedded backends. Codes
// are read from the package's own error classes, so the suites follow a rename of a code.
const codes = {
  poisoned: new StorePoisonedError(undefined).code,
  closed: new ClosedError().code,
  invalid: new InvalidArgumentError('x').code,
  // The append that meets a failed sync is APPEND_FAILED (its outcome is unknown to the caller),
  // not POISONED: only the appends after it are refused with POISONED, with the same cause.
  failedSync: new AppendFailedError('x').code,
}

/** Where each backend's acknowledged writes are synced: a failing fdatasync there must poison. */
const DATA_FILES: Record<BackendName, RegExp> = {
  wal: /\.wal$/,
  ndjson: /\.ndjson$/,
  // One file per commit (and the head/tail files) under the record keeper's directory.
  'record-keeper': /\/log\//,
}

const readAllEvents = async (store: EventStore): Promise<unknown[]> => {
  const out: unknown[] = []
  for await (const e of store.readAll()) out.push([e.position, e.streamName, e.revision, e.type, e.data])
  return out
}

for (const name of ['wal', 'ndjson', 'record-keeper'] as const) {
  storeLifecycleSuite<EventStore>({
    name: `EventStore (${name} backend)`,
    root: name === 'ndjson' ? '/data' : STORE_DIR,
    dataFiles: DATA_FILES[name],
    codes,
    open: (fs) => EventStore.open({ backend: backendFor(name, fs) }),
    close: (store) => store.close(),
    dispose: (store) => store[Symbol.asyncDispose](),
    write: (store, i) => store.appendToStream(`account-${i}`, { type: 'Opened', data: { i } }),
    // An empty stream name: refused before the driver takes it, so nothing reaches the log.
    writeInvalid: (store) => store.appendToStream('', { type: 'Opened', data: {} }),
    read: readAllEvents,
  })
}

/*
 * The append-log suite runs on the commit log of the WAL and NDJSON backends (one event per
 * append, an append batch is one commit; a seq is a position). The event store reports both a
 * rolled-back write and a failed sync as APPEND_FAILED (to its caller the outcome is unknown
 * either way) and says which in `cause`: the harness passes the cause's code (WRITE_FAILED or
 * POISONED) to the suite, which tells the two apart. Every later append is the event store's own
 * POISONED.
 *
 * Not run on the record-keeper backend, which cannot meet its shape: the record keeper rolls
 * back no write (any failed write poisons, so the "rolled-back write, the log goes on" case does
 * not apply), has no recovery modes (a damaged commit file is always CORRUPT), and its positions
 * are given by the commit log, not read from a log. Its crash, fault and kill tests are in
 * commit-log.crash.test.ts, faults.test.ts, disk-full.test.ts and kill.test.ts.
 */
type LogName = 'wal' | 'ndjson'
const openLog = (
  name: LogName,
  fs: FileSystem,
  options: { readonly recovery?: 'strict' | 'point-in-time' | 'skip-corrupt'; readonly sync?: 'always' | 'none' } = {},
): Promise<Parts> =>
  name === 'wal' ? openWalStore(STORE_DIR, { fs, segmentBytes: 1024, ...options }) : openNdjsonStore(NDJSON_FILE, { fs, ...options })

/** A commit's failure as the log below reported it (see above); anything else unchanged. */
function logFailure(err: unknown): unknown {
  const cause = (err as { cause?: { code?: unknown } }).cause
  if (err instanceof AppendFailedError && (cause?.code === 'WRITE_FAILED' || cause?.code === 'POISONED')) {
    return Object.assign(new Error(`${err.message} (cause: ${String(cause.code)})`, { cause: err }), { code: cause.code })
  }
  return err
}

const appendValues = async (parts: Parts, values: readonly string[]): Promise<number[]> => {
  const events = values.map((v, i) => storedEvent(`s-${v}`, 0, { data: { v }, type: i === 0 ? 'First' : 'Next' }))
  try {
    const { firstPosition } = await parts.log.append({ events })
    return values.map((_, i) => Number(firstPosition) + i)
  } catch (err) {
    throw logFailure(err)
  }
}

for (const name of ['wal', 'ndjson'] as const) {
  appendLogSuite<Parts>({
    name: `event store commit log (${name} backend)`,
    dataFiles: DATA_FILES[name],
    // The WAL and the NDJSON log skip a damaged record under 'skip-corrupt'; the event store then
    // finds a hole in positions and refuses to open (CORRUPT): $all never skips silently.
    supports: { batches: true, syncNone: true, skipCorrupt: false },
    open: (fs, options) => openLog(name, fs, options),
    close: closeParts,
    append: async (parts, value) => (await appendValues(parts, [value]))[0]!,
    appendBatch: appendValues,
    read: async (parts) => {
      const out: { seq: number; value: string }[] = []
      for await (const commit of parts.log.replay()) {
        commit.events.forEach((e, i) => out.push({ seq: Number(commit.firstPosition) + i, value: String((e.data as { v?: unknown }).v) }))
      }
      return out
    },
  })
}
