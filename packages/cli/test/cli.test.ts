import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeWal } from './support/make-stores.js'
import { jsonOf, quire } from './support/run-cli.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-cli-'))
  await makeWal(join(root, 'wal'), 200)
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`)

describe('the command line itself', () => {
  it('--help of every command shows examples; no command is a usage error', async () => {
    for (const command of ['info', 'verify', 'dump', 'repair', 'export', 'import', 'bench']) {
      const r = await quire([command, '--help'])
      expect(r.code, command).toBe(0)
      expect(r.stdout).toContain(`Usage: quire ${command}`)
      expect(r.stdout).toMatch(/Examples:\n {2}\$ quire /)
    }
    const top = await quire(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toMatch(/Exit codes: 0 clean, 1 damage found/)
    expect((await quire([])).code).toBe(2)
    expect((await quire(['frobnicate'])).code).toBe(2)
  })

  it('colour only when asked for or on a terminal, never with NO_COLOR, never in --json', async () => {
    const wal = join(root, 'wal')
    const plain = await quire(['verify', wal])
    expect(plain.stdout).not.toMatch(ANSI)
    const forced = await quire(['verify', wal], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } })
    expect(forced.stdout).toMatch(ANSI)
    const json = await quire(['verify', wal, '--json'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } })
    expect(json.stdout).not.toMatch(ANSI)
    expect(jsonOf(json)).toMatchObject({ ok: true })
  })

  it('a progress bar on standard error when asked for (a terminal and a large store draw it by themselves)', async () => {
    const r = await quire(['verify', join(root, 'wal'), '--progress', 'always'])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/verify .*\[.*\] 100% \| 203\/203/)
    const quiet = await quire(['verify', join(root, 'wal')])
    expect(quiet.stderr).toBe('')
  })

  it('bench measures the floor and the store, and leaves nothing behind', async () => {
    const dir = await mkdtemp(join(root, 'bench-'))
    const r = await quire(['bench', 'wal', '--dir', dir, '--seconds', '0.2', '--writers', '8', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const doc = jsonOf<{ rows: { subject: string; writers: number; ops: number; opsPerSecond: number; timesFloor: number }[] }>(r)
    expect(doc.rows.map((row) => [row.subject, row.writers])).toEqual([
      ['raw write + fdatasync (floor)', 1],
      ['wal, durable append', 1],
      ['wal, durable append', 8],
    ])
    for (const row of doc.rows) expect(row.ops).toBeGreaterThan(0)
    expect(doc.rows[0]!.timesFloor).toBe(1)
    expect(await readdir(dir)).toEqual([])
    const bad = await quire(['bench', 'sqlite'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/INVALID_ARGUMENT/)
  })
})
