import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MvccStore } from '@quire/mvcc'
import { Wal } from '@quire/wal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { segmentsOf } from './support/make-stores.js'
import { jsonOf, quire, type VerifyDoc } from './support/run-cli.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-floor-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const enc = new TextEncoder()

/**
 * An MVCC store whose checkpoint truncated its WAL, with the truncated segments put back: what a
 * crash between the floor write and the unlink leaves (the WAL deletes them at the next writable open).
 */
async function mvccWithSegmentsBelowFloor(dir: string): Promise<string[]> {
  const db = await MvccStore.open(dir, { segmentBytes: 1024 })
  for (let i = 0; i < 60; i++) await db.transaction(async (tx) => tx.put(`k${i}`, { i, pad: 'x'.repeat(40) }))
  const walDir = join(dir, 'wal')
  const keep = join(root, `${dir.split('/').at(-1)!}-segments`)
  await rm(keep, { recursive: true, force: true })
  await mkdir(keep)
  const before = await segmentsOf(walDir)
  for (const s of before) await copyFile(s, join(keep, s.split('/').at(-1)!))
  await db.checkpoint()
  await db.close()
  const after = new Set(await segmentsOf(walDir))
  const removed = before.filter((s) => !after.has(s))
  for (const s of removed) await copyFile(join(keep, s.split('/').at(-1)!), s)
  return removed
}

describe('segments below the WAL truncation floor are cleanup, not damage', () => {
  it('MVCC: verify reports them as info (exit 0); repair --yes names no quarantine file it did not write', async () => {
    const dir = join(root, 'mvcc')
    const below = await mvccWithSegmentsBelowFloor(dir)
    expect(below.length).toBeGreaterThan(0)
    const v = await quire(['verify', dir, '--json'])
    expect(v.code, v.stdout + v.stderr).toBe(0)
    const doc = jsonOf<VerifyDoc & { info: string[] }>(v)
    expect(doc.damage).toEqual([])
    expect(doc.info.join('\n')).toMatch(/truncation floor/)
    const done = await quire(['repair', dir, '--yes', '--json'])
    expect(done.code, done.stdout + done.stderr).toBe(0)
    const did = jsonOf<{ actions: { action: string; preservedIn?: string }[]; notes: string[] }>(done)
    expect(did.actions.map((a) => a.action)).toEqual(below.map(() => 'removed-truncated-segment'))
    expect(did.actions.every((a) => a.preservedIn === undefined)).toBe(true)
    expect(did.notes.join('\n')).not.toMatch(/quarantine files in/)
    expect((await readdir(join(dir, 'wal'))).filter((n) => n.endsWith('.quarantine'))).toEqual([])
  })

  it('info counts WAL entries above the floor, as verify and dump do (10 appends, truncateBefore(7): 3)', async () => {
    const dir = join(root, 'wal')
    const wal = await Wal.open(dir)
    for (let i = 0; i < 10; i++) await wal.append({ op: 'put', key: enc.encode('k'), value: enc.encode('v') })
    await wal.truncateBefore(7)
    await wal.close()
    const info = await quire(['info', dir, '--json'])
    expect(info.code, info.stderr).toBe(0)
    const dumped = (await quire(['dump', dir])).stdout.trim().split('\n').length
    expect(dumped).toBe(3)
    expect(jsonOf<{ entries: number }>(info).entries).toBe(dumped)
  })
})
