import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
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

describe('import refuses incomplete export lines and leaves nothing behind', () => {
  it('export ends with a trailer (count, last position); empty input, no header, no trailer or a wrong count: exit 2 EXPORT_INCOMPLETE, the created target removed, a retry works', async () => {
    const source = join(root, 'source3')
    await makeEventStore('wal', source)
    const whole = await quire(['export', source])
    expect(whole.code, whole.stderr).toBe(0)
    const lines = whole.stdout.trimEnd().split('\n')
    expect(JSON.parse(lines.at(-1)!)).toEqual({ format: 'quire-event-export-end', events: 16, lastPosition: 16 })
    const wrongCount = [...lines.slice(0, -1), JSON.stringify({ format: 'quire-event-export-end', events: 17, lastPosition: 16 })]
    const bad = { empty: '', noHeader: lines.slice(1).join('\n') + '\n', noTrailer: lines.slice(0, -1).join('\n') + '\n', cutMidway: lines.slice(0, 8).join('\n') + '\n', wrongCount: wrongCount.join('\n') + '\n' }
    for (const [name, input] of Object.entries(bad)) {
      for (const backend of name === 'noTrailer' ? (['wal', 'ndjson'] as const) : (['record-keeper'] as const)) {
        const target = join(root, `bad-${name}-${backend}`)
        const r = await quire(['import', target, '--backend', backend, '--json'], { input })
        expect(r.code, `${name} ${backend}: ${r.stdout}${r.stderr}`).toBe(2)
        expect(jsonOf(r), name).toMatchObject({ ok: false, error: { code: 'EXPORT_INCOMPLETE' } })
        expect((await readdir(root)).filter((n) => n.startsWith(`bad-${name}-${backend}`)), name).toEqual([])
      }
    }
    // An empty directory given as the target is emptied again, not removed.
    const emptyDir = join(root, 'bad-empty-dir')
    await mkdir(emptyDir)
    expect((await quire(['import', emptyDir, '--backend', 'wal'], { input: bad.noTrailer })).code).toBe(2)
    expect(await readdir(emptyDir)).toEqual([])
    const retry = await quire(['import', emptyDir, '--backend', 'wal', '--json'], { input: whole.stdout })
    expect(retry.code, retry.stdout + retry.stderr).toBe(0)
    expect(jsonOf<TransferDoc>(retry)).toMatchObject({ events: 16, verified: true })
  })

  it('a folder holding only other files is "not empty", not "already holds a store"', async () => {
    const dir = join(root, 'notes')
    await mkdir(dir)
    await writeFile(join(dir, 'notes.txt'), 'mine\n')
    const r = await quire(['import', dir, '--backend', 'wal'], { input: '' })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/TARGET_NOT_EMPTY/)
    expect(r.stderr).toMatch(/is not empty/)
    expect(r.stderr).not.toMatch(/already holds/)
    expect(await readdir(dir)).toEqual(['notes.txt'])
  })
})
