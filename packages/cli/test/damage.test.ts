import { mkdtemp, readdir, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cutTail, flipByte, makeEventStore, makeMvcc, makeNdjson, makeRecordKeeper, makeSnapshots, makeWal, segmentsOf, staleLock, tearTail } from './support/make-stores.js'
import { hashTree, jsonOf, quire, type VerifyDoc } from './support/run-cli.js'

let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-damage-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A fresh copy of one of the healthy stores, to damage. */
async function fresh(make: (path: string) => Promise<unknown>, name: string): Promise<string> {
  const dir = await mkdtemp(join(root, 'case-'))
  const path = join(dir, name)
  await make(path)
  return path
}

describe('damaged stores: verify exits 1 and names the damage by file and offset or line', () => {
  it('a torn WAL tail is named by its segment and byte offset', async () => {
    const dir = await fresh((p) => makeWal(p), 'wal')
    const last = (await segmentsOf(dir)).at(-1)!
    await tearTail(last, 7)
    const before = await hashTree(dir)
    const r = await quire(['verify', dir, '--json'])
    expect(r.code).toBe(1)
    const v = jsonOf<VerifyDoc>(r)
    expect(v.damage).toHaveLength(1)
    expect(v.damage[0]).toMatchObject({ file: last })
    expect(v.damage[0]!.offset).toBeGreaterThan(24)
    expect(v.damage[0]!.problem).toMatch(/torn/)
    expect(await hashTree(dir)).toBe(before)
  })

  it('a flipped byte in the middle of the WAL is corruption at its segment and offset', async () => {
    const dir = await fresh((p) => makeWal(p), 'wal')
    const first = (await segmentsOf(dir))[0]!
    await flipByte(first, 30) // inside the first frame's payload
    const r = await quire(['verify', dir, '--json'])
    expect(r.code).toBe(1)
    const v = jsonOf<VerifyDoc>(r)
    expect(v.damage[0]).toMatchObject({ file: first, offset: 24 })
    expect(v.damage[0]!.code).toMatch(/CORRUPT$/)
    const text = await quire(['verify', dir])
    expect(text.code).toBe(1)
    expect(text.stdout).toContain(`${first} at byte 24`)
  })

  it('a missing WAL segment in the middle is found', async () => {
    const dir = await fresh((p) => makeWal(p, 60, 1024), 'wal')
    const segments = await segmentsOf(dir)
    expect(segments.length).toBeGreaterThanOrEqual(3)
    await unlink(segments[1]!)
    const r = await quire(['verify', dir, '--json'])
    expect(r.code).toBe(1)
    const v = jsonOf<VerifyDoc>(r)
    expect(v.damage.length).toBeGreaterThan(0)
    expect(v.damage[0]!.code).toMatch(/CORRUPT$/)
    expect(v.damage[0]!.problem).toMatch(/seq|missing|gap|expected/i)
  })

  it('a torn NDJSON tail and a damaged line in the middle are named by file and line', async () => {
    const file = await fresh((p) => makeNdjson(p), 'log.ndjson')
    await cutTail(file, 5)
    let r = await quire(['verify', file, '--json'])
    expect(r.code).toBe(1)
    let v = jsonOf<VerifyDoc>(r)
    expect(v.damage).toHaveLength(1)
    expect(v.damage[0]).toMatchObject({ file })
    expect(v.damage[0]!.problem).toMatch(/torn|tail/)

    const file2 = await fresh((p) => makeNdjson(p), 'log.ndjson')
    const { readFile } = await import('node:fs/promises')
    const text = await readFile(file2, 'utf8')
    const lineStart = text.split('\n').slice(0, 5).join('\n').length + 1 // line 6 (header is line 1)
    await flipByte(file2, lineStart + 10)
    r = await quire(['verify', file2, '--json'])
    expect(r.code).toBe(1)
    v = jsonOf<VerifyDoc>(r)
    expect(v.damage[0]).toMatchObject({ file: file2, line: 6 })
    expect(v.damage[0]!.code).toMatch(/CORRUPT$/)
  })

  it('a damaged snapshot file is named', async () => {
    const dir = await fresh((p) => makeSnapshots(p), 'snaps')
    const keyDir = join(dir, (await readdir(dir)).find((n) => n.startsWith('k-'))!)
    const newest = join(keyDir, (await readdir(keyDir)).filter((n) => n.endsWith('.snap')).sort().at(-1)!)
    await flipByte(newest, 60)
    const r = await quire(['verify', dir, '--json'])
    expect(r.code).toBe(1)
    const v = jsonOf<VerifyDoc>(r)
    expect(v.damage).toEqual([expect.objectContaining({ file: newest })])
  })

  it('a damaged record-keeper event file is named', async () => {
    const dir = await fresh((p) => makeRecordKeeper(p), 'rk')
    const v0 = jsonOf<{ tail: string }>(await quire(['info', dir, '--json']))
    const tail = v0.tail
    const file = join(dir, 'rk', 'events', tail[0]!, tail[1]!, tail[2]!, tail)
    await flipByte(file, 20)
    const r = await quire(['verify', dir, '--json'])
    expect(r.code).toBe(1)
    const v = jsonOf<VerifyDoc>(r)
    expect(v.damage.some((d) => d.file.includes(tail) || d.problem.includes(tail))).toBe(true)
  })

  it('a record-keeper event file deleted mid-chain: the later events are unreachable after it, not orphans', async () => {
    const ids: string[] = []
    const dir = await fresh(async (p) => ids.push(...(await makeRecordKeeper(p, 20))), 'rk')
    const fileOf = (id: string): string => join(dir, 'rk', 'events', id[0]!, id[1]!, id[2]!, id)
    await unlink(fileOf(ids[9]!))
    const r = await quire(['verify', dir, '--json'])
    expect(r.code).toBe(1)
    const v = jsonOf<VerifyDoc>(r)
    expect(v.damage.filter((d) => d.problem.startsWith('orphan'))).toEqual([])
    const unreachable = v.damage.filter((d) => d.problem.startsWith(`unreachable after damage at ${fileOf(ids[9]!)}`))
    expect(unreachable.map((d) => d.file).sort()).toEqual(ids.slice(10).map(fileOf).sort())
  })

  it('a torn tail under an event store and under an MVCC store is found through their WALs', async () => {
    const es = await fresh((p) => makeEventStore('wal', p), 'es')
    const seg = (await segmentsOf(join(es, 'log'))).at(-1)!
    await tearTail(seg, 9)
    const r = await quire(['verify', es, '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(jsonOf<VerifyDoc>(r).damage[0], r.stdout).toMatchObject({ file: seg })

    const db = await fresh((p) => makeMvcc(p), 'mvcc')
    const mseg = (await segmentsOf(join(db, 'wal'))).at(-1)!
    await tearTail(mseg, 9)
    const m = await quire(['verify', db, '--json'])
    expect(m.code, m.stdout + m.stderr).toBe(1)
    expect(jsonOf<VerifyDoc>(m).damage[0], m.stdout).toMatchObject({ file: mseg })
  })

  it('a stale lock is reported by info and verify, is not damage, and is left alone', async () => {
    const dir = await fresh((p) => makeWal(p), 'wal')
    await staleLock(dir)
    const before = await hashTree(dir)
    const info = await quire(['info', dir, '--json'])
    expect(info.code).toBe(0)
    expect(jsonOf<{ locks: unknown[] }>(info).locks).toEqual([expect.objectContaining({ file: join(dir, 'LOCK'), holder: 'stale' })])
    const text = await quire(['info', dir])
    expect(text.stdout).toMatch(/stale: its holder is gone/)
    const v = await quire(['verify', dir, '--json'])
    expect(v.code).toBe(0)
    expect(jsonOf<VerifyDoc>(v).locks[0]).toMatchObject({ holder: 'stale' })
    expect(await hashTree(dir)).toBe(before)
  })
})

describe('could not run: exit 2 with a code and a sentence', () => {
  it('nothing at the path', async () => {
    const r = await quire(['verify', join(root, 'nope')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/quire: NOT_FOUND: there is no store at that path/)
  })

  it('a directory that is no store, in JSON', async () => {
    const dir = await mkdtemp(join(root, 'empty-'))
    const r = await quire(['info', dir, '--json'])
    expect(r.code).toBe(2)
    expect(jsonOf(r)).toMatchObject({ ok: false, error: { code: 'NOT_A_STORE' } })
  })

  it('a usage error', async () => {
    const r = await quire(['verify'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/missing required argument/)
  })
})
