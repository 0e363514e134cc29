import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { jsonCodec, msgpackCodec } from '@quire/codec'
import { SnapshotStore, type SnapshotStoreOptions } from '@quire/snapshots'
import { codeOf } from '../plain-error.js'
import { preserveFiles, preservedField } from '../preserve-files.js'
import type { Damage, DumpRange, Emit, RepairOutcome, RepairRequest, StoreHandler, VerifyFindings } from './handler.js'

/*
 * A snapshot store loads only the files written with its own codec (others are skipped without a
 * report), and the codec is not an option one can leave open: each codec the package ships is
 * tried in turn, read-only. Snapshots written with a custom codec cannot be decoded here.
 */
const CODECS = [
  { name: 'msgpack', codec: msgpackCodec },
  { name: 'json', codec: jsonCodec },
  { name: 'raw', codec: 'raw' },
] as const satisfies readonly { name: string; codec: SnapshotStoreOptions['codec'] }[]

interface Loaded {
  readonly key: string
  readonly codec: string
  readonly position: number
  readonly schemaVersion: number
  readonly createdAtMs: number
  readonly state: unknown
}

/**
 * A read-only open; `undefined` for an empty directory (an event store's state directory before
 * its first checkpoint), which read-only opens refuse with `NOT_FOUND` because there is no store yet.
 */
async function openReadOnly(dir: string, options: SnapshotStoreOptions): Promise<SnapshotStore | undefined> {
  try {
    return await SnapshotStore.open(dir, { ...options, readOnly: true, createIfMissing: false })
  } catch (err) {
    if (codeOf(err) === 'NOT_FOUND' && (await readdir(dir).catch(() => ['?'])).length === 0) return undefined
    throw err
  }
}

interface Walk {
  readonly snapshots: Loaded[]
  readonly damage: Damage[]
  readonly warnings: string[]
  readonly keys: number
}

/** Every snapshot the package can load (each key's newest, and with `all` the older ones), and every damaged file it skipped. */
async function walkSnapshots(dir: string, all: boolean, prefix?: string): Promise<Walk> {
  const damage = new Map<string, Damage>()
  const warnings = new Set<string>()
  const snapshots: Loaded[] = []
  const keys = new Set<string>()
  for (const { name, codec } of CODECS) {
    const store = await openReadOnly(dir, {
      codec,
      onCorrupt: (r) => void damage.set(r.file, { file: r.file, problem: r.reason, code: r.error.code }),
      onUnsupported: (r) => void warnings.add(`${r.file}: format version ${r.version}, newer than this release reads (left alone)`),
    })
    if (store === undefined) break
    try {
      for await (const key of store.keys()) {
        if (prefix !== undefined && !key.startsWith(prefix)) continue
        keys.add(key)
        let maxPosition: number | undefined
        for (;;) {
          const s = await store.load(key, maxPosition === undefined ? {} : { maxPosition })
          if (s === undefined) break
          snapshots.push({ key, codec: name, position: s.position, schemaVersion: s.schemaVersion, createdAtMs: s.createdAtMs, state: s.state })
          // Older snapshots are found by asking for a lower position (the API's only way back);
          // two snapshots at the same position show as one.
          if (!all || s.position === 0) break
          maxPosition = s.position - 1
        }
      }
    } finally {
      await store.close()
    }
  }
  return { snapshots, damage: [...damage.values()], warnings: [...warnings], keys: keys.size }
}

/** Temp files of interrupted saves (`*.snap.tmp`), which a writable open deletes. */
async function tempFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith('k-')) continue
    for (const f of await readdir(join(dir, name)).catch(() => [] as string[])) if (f.endsWith('.snap.tmp')) out.push(join(dir, name, f))
  }
  return out
}

/** Verifies a snapshot store read-only: every retained snapshot is loaded (header, CRC, decode); damaged files are named. */
export async function verifySnapshots(dir: string): Promise<VerifyFindings> {
  const walk = await walkSnapshots(dir, true)
  return { checked: { keys: walk.keys, snapshots: walk.snapshots.length }, damage: walk.damage, warnings: walk.warnings }
}

/** Counts of a snapshot store. */
export async function snapshotsInfo(dir: string): Promise<Record<string, unknown>> {
  const walk = await walkSnapshots(dir, true)
  const temps = await tempFiles(dir)
  return {
    keys: walk.keys,
    snapshots: walk.snapshots.length,
    damagedFiles: walk.damage.length,
    recovery: temps.length === 0 ? 'clean' : `a writable open would delete ${temps.length} temp file(s) of interrupted saves`,
  }
}

/**
 * A writable open of a snapshot store deletes temp files of interrupted saves; damaged snapshots
 * are never deleted by it (they are skipped at load, and quarantined when pruning reaches them).
 */
export async function repairSnapshots(dir: string, request: RepairRequest): Promise<RepairOutcome> {
  const temps = await tempFiles(dir)
  const walk = await walkSnapshots(dir, true)
  const notes = walk.damage.map((d) => `${d.file}: ${d.problem} — left in place: load skips it, and the store quarantines it when pruning reaches it`)
  const preserved = request.apply ? await preserveFiles(dir, temps) : new Map<string, string>()
  // An empty directory (an event store's state before its first checkpoint) holds nothing to
  // repair, and a writable open with createIfMissing: false refuses it as NOT_FOUND.
  const empty = (await readdir(dir).catch(() => ['?'])).length === 0
  if (request.apply && !empty) await (await SnapshotStore.open(dir, { createIfMissing: false })).close()
  const actions = temps.map((file) => ({ file, action: 'remove-temp-file', reason: 'an interrupted save (never acknowledged)', ...preservedField(preserved, file) }))
  if (actions.length === 0 && notes.length === 0) notes.push('nothing to repair')
  return { actions, notes }
}

/** Snapshots: each key's newest (`--all`: every retained one), `--prefix` on the key. */
export async function dumpSnapshots(dir: string, range: DumpRange, emit: Emit): Promise<number> {
  const walk = await walkSnapshots(dir, range.all === true, range.prefix)
  walk.snapshots.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.position - a.position))
  for (const s of walk.snapshots) await emit({ key: s.key, position: s.position, schemaVersion: s.schemaVersion, createdAt: new Date(s.createdAtMs), codec: s.codec, state: s.state })
  return walk.snapshots.length
}

/** A bare `@quire/snapshots` directory. */
export const snapshotsHandler: StoreHandler = {
  info: (store) => snapshotsInfo(store.path),
  verify: (store) => verifySnapshots(store.path),
  dump: (store, range, emit) => dumpSnapshots(store.path, range, emit),
  repair: (store, request) => repairSnapshots(store.path, request),
}
