// Test helpers: the three embedded backends' parts (commit log + side store) on any file system.
import type { FileSystem } from '@quire/vfs'
import type { CommitLog, StoredEvent } from '../src/commit-log.js'
import { ndjsonBackend, openNdjsonStore } from '../src/backends/ndjson.js'
import { openRecordKeeperStore, recordKeeperBackend } from '../src/backends/record-keeper.js'
import type { SnapshotSideStore } from '../src/backends/snapshot-side-store.js'
import { openWalStore, walBackend } from '../src/backends/wal.js'
import type { EventStoreBackend } from '../src/driver.js'

export type BackendName = 'wal' | 'ndjson' | 'record-keeper'
export const BACKENDS: readonly BackendName[] = ['wal', 'ndjson', 'record-keeper']

/** Where each backend's store lives on a simulated disk. */
export const STORE_DIR = '/data/store'
export const NDJSON_FILE = '/data/events.ndjson'

export interface Parts {
  readonly log: CommitLog
  readonly side: SnapshotSideStore
}

export interface PartsOptions {
  readonly sync?: 'always' | 'none'
  /** WAL only: small segments exercise rolls. */
  readonly segmentBytes?: number
  /** Root for the store (default: the simulated-disk paths above). */
  readonly root?: string
}

/** Opens one backend's commit log and side store (no driver). */
export async function openParts(name: BackendName, fs: FileSystem, options: PartsOptions = {}): Promise<Parts> {
  const root = options.root
  const sync = options.sync === undefined ? {} : { sync: options.sync }
  switch (name) {
    case 'wal':
      return openWalStore(root ?? STORE_DIR, { fs, ...sync, ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }) })
    case 'ndjson':
      return openNdjsonStore(root === undefined ? NDJSON_FILE : `${root}/events.ndjson`, { fs, ...sync })
    case 'record-keeper':
      return openRecordKeeperStore(root ?? STORE_DIR, { fs })
  }
}

export async function closeParts(parts: Parts): Promise<void> {
  await parts.log.close()
  await parts.side.close()
}

/** Every commit of a log, flattened to its events with positions. */
export async function replayAll(log: CommitLog, fromPosition?: bigint): Promise<{ firstPosition: bigint; events: StoredEvent[] }[]> {
  const out: { firstPosition: bigint; events: StoredEvent[] }[] = []
  for await (const c of log.replay(fromPosition === undefined ? {} : { fromPosition })) out.push({ firstPosition: c.firstPosition, events: [...c.events] })
  return out
}

let counter = 0
/** A deterministic lowercase UUID (v4 layout) from a counter. */
export function uuid(n = ++counter): string {
  const hex = n.toString(16).padStart(12, '0')
  return `00000000-0000-4000-8000-${hex}`
}

/** An event as the LocalDriver would hand it to a log. */
export function storedEvent(streamName: string, revision: number, extra: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: uuid(),
    streamName,
    revision,
    type: 'Deposited',
    data: { amount: revision + 1, at: new Date(1_700_000_000_000 + revision) },
    metadata: undefined,
    recordedAtMs: 1_700_000_000_000,
    ...extra,
  }
}

/** The EventStore backend of one embedded kind on `fs` (same paths as {@link openParts}). */
export function backendFor(name: BackendName, fs: FileSystem, options: PartsOptions = {}): EventStoreBackend {
  const root = options.root
  const sync = options.sync === undefined ? {} : { sync: options.sync }
  switch (name) {
    case 'wal':
      return walBackend(root ?? STORE_DIR, { fs, ...sync, ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }) })
    case 'ndjson':
      return ndjsonBackend(root === undefined ? NDJSON_FILE : `${root}/events.ndjson`, { fs, ...sync })
    case 'record-keeper':
      return recordKeeperBackend(root ?? STORE_DIR, { fs })
  }
}
