import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEventStore, makeWal } from './support/make-stores.js'
import { hashTree, jsonOf, linesOf, quire } from './support/run-cli.js'

interface TransferDoc {
  events: number
  verified: boolean
  positionsKept: boolean
  problems: string[]
}

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-transfer-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** Everything a move must keep, from `dump --system`: system events' ids are new in a copy. */
async function contentOf(path: string): Promise<Record<string, unknown>[]> {
  const r = await quire(['dump', path, '--system'])
  expect(r.code, r.stderr).toBe(0)
  return linesOf(r).map((e) => (String(e.streamName).startsWith('$$') ? { ...e, id: 'system' } : e))
}

describe('export and import move an event store between embedded backends', () => {
  it('WAL → NDJSON (--to) → record keeper (--out file, import --in) → WAL (a pipe): ids, revisions, positions and times kept', async () => {
    const source = join(root, 'source')
    await makeEventStore('wal', source)
    const sourceBefore = await hashTree(source)
    const ndjson = join(root, 'copy.ndjson')
    let r = await quire(['export', source, '--to', ndjson, '--backend', 'ndjson', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(jsonOf<TransferDoc>(r)).toMatchObject({ events: 16, verified: true, positionsKept: true, problems: [] })

    const file = join(root, 'export.ndjson')
    r = await quire(['export', ndjson, '--out', file, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(jsonOf(r)).toMatchObject({ events: 16 })
    const rk = join(root, 'rk')
    r = await quire(['import', rk, '--in', file, '--backend', 'record-keeper', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(jsonOf<TransferDoc>(r)).toMatchObject({ events: 16, verified: true, positionsKept: true })

    const piped = await quire(['export', rk])
    expect(piped.code).toBe(0)
    expect(piped.stdout.split('\n')[0]).toBe('{"format":"quire-event-export","version":1,"source":"event-store-record-keeper","gapFreePositions":true}')
    const wal = join(root, 'wal')
    r = await quire(['import', wal, '--backend', 'wal'], { input: piped.stdout })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/verified: the copy, reopened, matches the source event for event/)

    const want = await contentOf(source)
    expect(want).toHaveLength(16)
    for (const copy of [ndjson, rk, wal]) expect(await contentOf(copy)).toEqual(want)
    expect((await quire(['verify', wal])).code).toBe(0)
    // Exporting read the source without a lock and without changing a byte.
    expect(await hashTree(source)).toBe(sourceBefore)
  })

  it('refuses a target that holds a store, and a source that is no event store', async () => {
    const source = join(root, 'source2')
    await makeEventStore('ndjson', source)
    const taken = join(root, 'taken')
    await makeEventStore('wal', taken)
    let r = await quire(['export', source, '--to', taken, '--backend', 'wal'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/TARGET_NOT_EMPTY/)
    const plain = join(root, 'plain-wal')
    await makeWal(plain, 2)
    r = await quire(['export', plain, '--json'])
    expect(r.code).toBe(2)
    expect(jsonOf(r)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    r = await quire(['import', join(root, 'nowhere')], { input: 'not json\n' })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/INVALID_ARGUMENT/)
  })
})
