import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, stat, truncate, writeFile, open } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend, type EventStoreBackend } from '@quire/event-store'
import { Depot, RecordKeeper } from '@quire/fs-record-keeper'
import { MvccStore } from '@quire/mvcc'
import { NdjsonLog } from '@quire/ndjson-log'
import { SnapshotStore } from '@quire/snapshots'
import { Wal } from '@quire/wal'

/*
 * Stores made by the packages themselves, and the damage the tests do to them: a torn tail, a
 * flipped byte, a missing segment, a stale lock.
 */

const enc = new TextEncoder()

/** A WAL with `n` puts (key `k<i>`, text value), one binary put and a batch; small segments so there are several. */
export async function makeWal(dir: string, n = 20, segmentBytes = 1024): Promise<void> {
  const wal = await Wal.open(dir, { segmentBytes })
  try {
    for (let i = 1; i <= n; i++) await wal.append({ op: 'put', key: enc.encode(`k${i}`), value: enc.encode(`value number ${i}`) })
    await wal.append({ op: 'put', key: enc.encode('bin'), value: new Uint8Array([0, 1, 2, 255]) })
    await wal.appendBatch([
      { op: 'put', key: enc.encode('a'), value: enc.encode('1') },
      { op: 'delete', key: enc.encode('k1') },
    ])
  } finally {
    await wal.close()
  }
}

/** An NDJSON log with `n` records. */
export async function makeNdjson(file: string, n = 20): Promise<void> {
  const log = await NdjsonLog.open(file)
  try {
    for (let i = 1; i <= n; i++) await log.append({ type: 'Deposited', account: `A${i % 3}`, amount: i })
  } finally {
    await log.close()
  }
}

/** A snapshot store with two keys, three saves each (keep 2: all three retained). */
export async function makeSnapshots(dir: string): Promise<void> {
  const snaps = await SnapshotStore.open(dir, { keep: 2 })
  try {
    for (const key of ['account-1', 'account-2']) {
      for (let p = 1; p <= 3; p++) await snaps.save(key, { position: p * 10, state: { balance: p * 100, key } })
    }
  } finally {
    await snaps.close()
  }
}

/** A record keeper with `n` events and a depot with one object. */
export async function makeRecordKeeper(dir: string, n = 5): Promise<string[]> {
  const ids: string[] = []
  const rk = await RecordKeeper.open(dir)
  try {
    for (let i = 0; i < n; i++) {
      const id = randomUUID()
      ids.push(id)
      await rk.add({ id, type: 'Noted', n: i })
    }
  } finally {
    await rk.close()
  }
  const depot = await Depot.open(dir)
  try {
    const id = randomUUID()
    const bytes = enc.encode('receipt #1')
    await depot.reserve(id, bytes.byteLength)
    await depot.write(id, 0, bytes)
    await depot.finalize(id)
  } finally {
    await depot.close()
  }
  return ids
}

/** An MVCC store with a few keys, a checkpoint, and commits after it. */
export async function makeMvcc(dir: string): Promise<void> {
  const db = await MvccStore.open(dir)
  try {
    await db.transaction(async (tx) => {
      await tx.put('user/1', { name: 'ada' })
      await tx.put('user/2', { name: 'bob' })
    })
    await db.checkpoint()
    await db.transaction(async (tx) => {
      await tx.put('user/3', { name: 'cy' })
      await tx.put('config', 42)
    })
  } finally {
    await db.close()
  }
}

/** The embedded event-store backends by name. */
export type EmbeddedBackend = 'wal' | 'ndjson' | 'record-keeper'

/** A backend creating a new store at `path`. */
export function backendFor(kind: EmbeddedBackend, path: string): EventStoreBackend {
  if (kind === 'wal') return walBackend(path)
  if (kind === 'ndjson') return ndjsonBackend(path)
  return recordKeeperBackend(path)
}

/**
 * Fills an event store: several streams, a multi-stream append, metadata, a soft delete and
 * appends after it, a tombstone. Resolves with the number of events in `$all` (system included).
 */
export async function fillEventStore(store: EventStore): Promise<void> {
  await store.appendToStream('account-1', [{ type: 'Opened', data: { owner: 'ada' } }, { type: 'Deposited', data: { amount: 100, at: new Date('2026-01-02T03:04:05.000Z') } }], { expectedRevision: 'no_stream' })
  await store.appendToStream('account-2', { type: 'Opened', data: { owner: 'bob' }, metadata: { by: 'test' } })
  await store.multiStreamAppend([
    { streamName: 'account-1', events: [{ type: 'Withdrawn', data: { amount: 30 } }], expectedRevision: 1 },
    { streamName: 'account-2', events: [{ type: 'Deposited', data: { amount: 30 } }], expectedRevision: 0 },
  ])
  await store.setStreamMetadata('account-1', { maxCount: 10, custom: { owner: 'ada' } })
  await store.appendToStream('temp', { type: 'Scratch', data: {} })
  await store.deleteStream('temp')
  await store.appendToStream('temp', { type: 'Scratch', data: { again: true } })
  await store.appendToStream('gone', { type: 'Scratch', data: {} })
  await store.tombstoneStream('gone')
  for (let i = 0; i < 5; i++) await store.appendToStream(`order-${i}`, { type: 'Placed', data: { n: i, text: 'ünïcödé ✓' } })
}

/** An embedded event store of `kind` at `path`, filled by {@link fillEventStore}. */
export async function makeEventStore(kind: EmbeddedBackend, path: string): Promise<void> {
  const store = await EventStore.open({ backend: backendFor(kind, path) })
  try {
    await fillEventStore(store)
  } finally {
    await store.close()
  }
}

/** WAL segment files of `dir`, in order (full paths). */
export async function segmentsOf(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^\d{20}\.wal$/.test(n)).sort().map((n) => join(dir, n))
}

/** Appends garbage to `file`: what a write torn by a crash leaves at the end. */
export async function tearTail(file: string, bytes = 7): Promise<void> {
  const h = await open(file, 'a')
  try {
    await h.write(new Uint8Array(bytes).fill(0xab))
  } finally {
    await h.close()
  }
}

/** Cuts the last `bytes` of `file` (a torn last record). */
export async function cutTail(file: string, bytes: number): Promise<void> {
  await truncate(file, (await stat(file)).size - bytes)
}

/** Flips the bits of the byte at `offset` of `file`. */
export async function flipByte(file: string, offset: number): Promise<void> {
  const buf = await readFile(file)
  buf[offset] = (buf[offset] ?? 0) ^ 0xff
  await writeFile(file, buf)
}

/** A lock file left by a process that is gone (a pid that cannot exist). */
export async function staleLock(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), token: 'stale-token-0000' }))
}
