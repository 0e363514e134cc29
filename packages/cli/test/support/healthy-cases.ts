import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEventStore, makeMvcc, makeNdjson, makeRecordKeeper, makeSnapshots, makeWal } from './make-stores.js'
import { hashTree, jsonOf, quire, type VerifyDoc } from './run-cli.js'

/** One healthy store: where it goes, how the package makes it, what info and verify must count. */
interface HealthyCase {
  readonly name: string
  readonly make: (path: string) => Promise<unknown>
  readonly info: Record<string, unknown>
  readonly checked: Record<string, number>
}

const ES_COUNTS = { info: { lastPosition: 16 }, checked: { events: 16, streams: 12 } }

/** Every kind of store a package writes, made by that package. */
export const HEALTHY: Readonly<Record<string, HealthyCase>> = {
  wal: { name: 'wal', make: (p) => makeWal(p), info: { entries: 23, firstSeq: 1, lastSeq: 23 }, checked: { segments: 2, entries: 23 } },
  'ndjson-log': { name: 'log.ndjson', make: (p) => makeNdjson(p), info: { firstSeq: 1, lastSeq: 20 }, checked: { records: 20 } },
  snapshots: { name: 'snaps', make: makeSnapshots, info: { keys: 2, snapshots: 6 }, checked: { keys: 2, snapshots: 6 } },
  'record-keeper': { name: 'rk', make: (p) => makeRecordKeeper(p), info: { formatVersion: 2, events: 5, depotReadable: 1 }, checked: { events: 5, objects: 1 } },
  mvcc: { name: 'mvcc', make: makeMvcc, info: { keys: 4 }, checked: { keys: 4 } },
  'event-store-wal': { name: 'es-wal', make: (p) => makeEventStore('wal', p), ...ES_COUNTS },
  'event-store-ndjson': { name: 'es.ndjson', make: (p) => makeEventStore('ndjson', p), ...ES_COUNTS },
  'event-store-record-keeper': { name: 'es-rk', make: (p) => makeEventStore('record-keeper', p), ...ES_COUNTS },
}

/**
 * The healthy-store test for `kinds`: info names the kind, version and counts, verify exits 0
 * with its counts, and neither changes a byte of any store (a hash of the whole tree).
 */
export function describeHealthy(kinds: readonly string[]): void {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'quire-cli-healthy-'))
    for (const kind of kinds) await HEALTHY[kind]!.make(join(root, HEALTHY[kind]!.name))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  describe('healthy stores made by the packages', () => {
    it(`${kinds.join(', ')}: info names the kind, version and counts, verify exits 0, and neither changes a byte`, async () => {
      const before = await hashTree(root)
      for (const kind of kinds) {
        const c = HEALTHY[kind]!
        const path = join(root, c.name)
        const info = await quire(['info', path, '--json'])
        expect(info.code, info.stderr).toBe(0)
        expect(jsonOf(info)).toMatchObject({ command: 'info', kind, formatVersion: 1, locks: [], recovery: 'clean', ...c.info })
        const verify = await quire(['verify', path, '--json'])
        expect(verify.code, verify.stdout + verify.stderr).toBe(0)
        const v = jsonOf<VerifyDoc>(verify)
        expect(v.ok).toBe(true)
        expect(v.damage).toEqual([])
        expect(v.checked).toMatchObject(c.checked)
      }
      expect(await hashTree(root)).toBe(before)
    })
  })
}
