import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEventStore, makeMvcc, makeNdjson, makeRecordKeeper, makeSnapshots, makeWal } from './support/make-stores.js'
import { hashTree, jsonOf, quire, type VerifyDoc } from './support/run-cli.js'

let root: string
const STORES: Record<string, string> = {}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-healthy-'))
  STORES.wal = join(root, 'wal')
  STORES['ndjson-log'] = join(root, 'log.ndjson')
  STORES.snapshots = join(root, 'snaps')
  STORES['record-keeper'] = join(root, 'rk')
  STORES.mvcc = join(root, 'mvcc')
  STORES['event-store-wal'] = join(root, 'es-wal')
  STORES['event-store-ndjson'] = join(root, 'es.ndjson')
  STORES['event-store-record-keeper'] = join(root, 'es-rk')
  await makeWal(STORES.wal)
  await makeNdjson(STORES['ndjson-log'])
  await makeSnapshots(STORES.snapshots)
  await makeRecordKeeper(STORES['record-keeper'])
  await makeMvcc(STORES.mvcc)
  await makeEventStore('wal', STORES['event-store-wal'])
  await makeEventStore('ndjson', STORES['event-store-ndjson'])
  await makeEventStore('record-keeper', STORES['event-store-record-keeper'])
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('healthy stores made by the packages', () => {
  it('info names the kind, version and counts, verify exits 0, and neither changes a byte', async () => {
    const counts: Record<string, { info: Record<string, unknown>; checked?: Record<string, number> }> = {
      wal: { info: { entries: 23, firstSeq: 1, lastSeq: 23 }, checked: { segments: 2, entries: 23 } },
      'ndjson-log': { info: { firstSeq: 1, lastSeq: 20 }, checked: { records: 20 } },
      snapshots: { info: { keys: 2, snapshots: 6 }, checked: { keys: 2, snapshots: 6 } },
      'record-keeper': { info: { events: 5, depotReadable: 1 }, checked: { events: 5, objects: 1 } },
      mvcc: { info: { keys: 4 }, checked: { keys: 4 } },
      'event-store-wal': { info: { lastPosition: 16 }, checked: { events: 16, streams: 12 } },
      'event-store-ndjson': { info: { lastPosition: 16 }, checked: { events: 16, streams: 12 } },
      'event-store-record-keeper': { info: { lastPosition: 16 }, checked: { events: 16, streams: 12 } },
    }
    const before = await hashTree(root)
    for (const [kind, path] of Object.entries(STORES)) {
      const info = await quire(['info', path, '--json'])
      expect(info.code, info.stderr).toBe(0)
      expect(jsonOf(info)).toMatchObject({ command: 'info', kind, formatVersion: 1, locks: [], recovery: 'clean', ...counts[kind]!.info })
      const verify = await quire(['verify', path, '--json'])
      expect(verify.code, verify.stdout + verify.stderr).toBe(0)
      const v = jsonOf<VerifyDoc>(verify)
      expect(v.ok).toBe(true)
      expect(v.damage).toEqual([])
      expect(v.checked).toMatchObject(counts[kind]!.checked!)
    }
    expect(await hashTree(root)).toBe(before)
  })

  it('the text output says what it checked', async () => {
    const r = await quire(['verify', STORES.wal!])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('checked: segments 2, entries 23')
    expect(r.stdout).toContain('OK: no damage found')
  })
})
