import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEventStore, makeNdjson, makeRecordKeeper, makeSnapshots, makeWal } from './support/make-stores.js'
import { jsonOf, PACKAGE_DIR, quire } from './support/run-cli.js'

let root: string
let wal: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-options-'))
  wal = join(root, 'wal')
  await makeWal(wal, 5)
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('--kind must name the kind that is there', () => {
  it('a WAL directory with --kind snapshots (or ndjson-log, mvcc): exit 2 KIND_MISMATCH naming what is there, never "OK"', async () => {
    for (const [command, kind] of [['verify', 'snapshots'], ['info', 'mvcc'], ['dump', 'ndjson-log'], ['repair', 'event-store-wal']] as const) {
      const r = await quire([command, wal, '--kind', kind, '--json'])
      expect(r.code, `${command} --kind ${kind}: ${r.stdout}${r.stderr}`).toBe(2)
      const doc = jsonOf<{ ok: boolean; error: { code: string; message: string } }>(r)
      expect(doc.error.code).toBe('KIND_MISMATCH')
      expect(doc.error.message).toMatch(/looks like a wal/)
    }
  })

  it('the right --kind still works, and an empty directory passes as a snapshot store', async () => {
    expect((await quire(['verify', wal, '--kind', 'wal'])).code).toBe(0)
    const file = join(root, 'log.ndjson')
    await makeNdjson(file, 3)
    expect((await quire(['verify', file, '--kind', 'ndjson-log'])).code).toBe(0)
    const snaps = join(root, 'snaps')
    await makeSnapshots(snaps)
    expect((await quire(['verify', snaps, '--kind', 'snapshots'])).code).toBe(0)
    const empty = join(root, 'empty')
    await mkdir(empty)
    expect((await quire(['verify', empty, '--kind', 'wal'])).code).toBe(2)
  })
})

describe('dump refuses options that do not apply to the store', () => {
  it('dump <wal> --stream, dump <record keeper> --prefix, dump <snapshots> --from: exit 2 naming the option and the kinds it applies to', async () => {
    const snaps = join(root, 'snaps-dump')
    await makeSnapshots(snaps)
    const rk = join(root, 'rk')
    await makeRecordKeeper(rk, 2)
    const cases = [
      [wal, '--stream', 'x', /--stream does not apply to a wal store; it applies to: event-store-wal/],
      [rk, '--prefix', 'x', /--prefix does not apply to a record-keeper store; it applies to: wal, snapshots, mvcc, event-store-wal/],
      [snaps, '--from', '1', /--from does not apply to a snapshots store/],
    ] as const
    for (const [path, option, value, message] of cases) {
      const r = await quire(['dump', path, option, value])
      expect(r.code, `${option}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(/INVALID_ARGUMENT/)
      expect(r.stderr).toMatch(message)
      expect(r.stdout).toBe('')
    }
    expect((await quire(['dump', wal, '--prefix', 'k'])).code).toBe(0)
  })
})

describe('messages for command-line users', () => {
  it('a parent that is a file is ENOTDIR naming it; a relative path is shown absolute; no API option advice', async () => {
    const file = join(root, 'file.txt')
    await writeFile(file, 'not a store\n')
    const r = await quire(['verify', join(file, 'sub')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/ENOTDIR/)
    expect(r.stderr).toContain(`a parent, ${file}, is a file`)
    const rel = relative(PACKAGE_DIR, wal)
    const v = await quire(['verify', rel])
    expect(v.code, v.stderr).toBe(0)
    expect(v.stdout).toContain(`verified ${wal} (wal)`)
    // An event store whose log directory is empty: the WAL's read-only open refuses it in API terms.
    const es = join(root, 'es-empty-log')
    await makeEventStore('wal', es)
    await rm(join(es, 'log'), { recursive: true })
    await mkdir(join(es, 'log'))
    const e = await quire(['verify', es])
    expect(e.code).toBe(2)
    expect(e.stderr).toMatch(/NOT_FOUND/)
    expect(e.stderr).not.toMatch(/readOnly: true|createIfMissing/)
  })
})

