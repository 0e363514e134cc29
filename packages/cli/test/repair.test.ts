import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cutTail, flipByte, makeEventStore, makeNdjson, makeRecordKeeper, makeWal, segmentsOf, staleLock, tearTail } from './support/make-stores.js'
import { hashTree, jsonOf, quire } from './support/run-cli.js'

interface RepairDoc {
  dryRun: boolean
  actions: { file: string; offset?: number; bytes?: number; action: string; preservedIn?: string }[]
  notes: string[]
}

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-repair-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('repair: a dry run first, then --yes, every removed byte kept', () => {
  it('a torn WAL tail behind a stale lock: the dry run changes nothing; --yes cuts it into a quarantine file', async () => {
    const dir = join(root, 'wal-torn')
    await makeWal(dir)
    const last = (await segmentsOf(dir)).at(-1)!
    const original = await readFile(last)
    await tearTail(last, 7)
    await staleLock(dir)
    const before = await hashTree(dir)
    const dry = await quire(['repair', dir, '--json'])
    expect(dry.code).toBe(1) // work to do
    const plan = jsonOf<RepairDoc>(dry)
    expect(plan.dryRun).toBe(true)
    expect(plan.actions).toEqual([expect.objectContaining({ file: last, offset: original.length, bytes: 7, action: 'cut-torn-tail' })])
    expect(await hashTree(dir)).toBe(before)

    const done = await quire(['repair', dir, '--yes', '--json'])
    expect(done.code, done.stdout + done.stderr).toBe(0)
    const did = jsonOf<RepairDoc>(done)
    expect(did.actions).toHaveLength(1)
    expect(await readFile(did.actions[0]!.preservedIn!)).toEqual(Buffer.alloc(7, 0xab))
    expect(await readFile(last)).toEqual(original)
    expect((await quire(['verify', dir])).code).toBe(0)
    expect(jsonOf<RepairDoc>(await quire(['repair', dir, '--json'])).notes).toEqual(['nothing to repair'])
  })

  it('corruption in the middle: strict refuses (exit 1); point-in-time --yes keeps what precedes it and quarantines the rest', async () => {
    const dir = join(root, 'wal-mid')
    await makeWal(dir, 60, 1024)
    const segments = await segmentsOf(dir)
    await flipByte(segments[1]!, 40)
    const strict = await quire(['repair', dir])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toMatch(/strict recovery refuses this log/)
    expect(strict.stdout).toMatch(/--mode point-in-time/)

    const dry = jsonOf<RepairDoc>(await quire(['repair', dir, '--mode', 'point-in-time', '--json']))
    expect(dry.actions.length).toBeGreaterThan(0)
    expect(dry.actions).toContainEqual(expect.objectContaining({ file: segments[1], offset: 24 }))
    const done = await quire(['repair', dir, '--mode', 'point-in-time', '--yes', '--json'])
    expect(done.code, done.stderr).toBe(0)
    const did = jsonOf<RepairDoc>(done)
    const kept = did.actions.filter((a) => a.preservedIn !== undefined)
    expect(kept.length).toBeGreaterThan(0)
    // Every byte removed is in a quarantine file of the size the action names.
    for (const a of kept) expect((await readFile(a.preservedIn!)).length).toBe(a.bytes)
    expect((await quire(['verify', dir])).code).toBe(0)
  })

  it('a torn NDJSON tail: the cut bytes are in the quarantine file', async () => {
    const file = join(root, 'torn.ndjson')
    await makeNdjson(file)
    const whole = await readFile(file)
    await cutTail(file, 5)
    const torn = await readFile(file)
    const done = await quire(['repair', file, '--yes', '--json'])
    expect(done.code, done.stderr).toBe(0)
    const did = jsonOf<RepairDoc>(done)
    expect(did.actions).toEqual([expect.objectContaining({ file, action: 'cut-torn-tail' })])
    const repaired = await readFile(file)
    const quarantined = await readFile(did.actions[0]!.preservedIn!)
    expect(Buffer.concat([repaired.subarray(0, torn.length - quarantined.length), quarantined])).toEqual(torn)
    expect(whole.subarray(0, torn.length)).toEqual(torn)
    expect((await quire(['verify', file])).code).toBe(0)
  })

  it('a record keeper with a leftover temp file: --yes keeps a copy of it before the package removes it', async () => {
    const dir = join(root, 'rk')
    await makeRecordKeeper(dir)
    const stray = join(dir, 'rk', 'tail.0123456789ab.tmp')
    await writeFile(stray, 'half a tail pointer')
    const v = await quire(['verify', dir, '--json'])
    expect(v.code).toBe(1)
    const dry = await quire(['repair', dir])
    expect(dry.code).toBe(1)
    expect(dry.stdout).toContain(stray)
    const done = await quire(['repair', dir, '--yes', '--json'])
    expect(done.code, done.stderr).toBe(0)
    const action = jsonOf<RepairDoc>(done).actions.find((a) => a.file === stray)!
    expect(await readFile(action.preservedIn!, 'utf8')).toBe('half a tail pointer')
    expect((await quire(['verify', dir])).code).toBe(0)
  })

  it.each(['wal', 'record-keeper'] as const)('a %s event store that never saved a snapshot (empty state/): --yes says nothing to repair, exit 0', async (backend) => {
    const dir = join(root, `es-empty-state-${backend}`)
    await makeEventStore(backend, dir)
    expect(await readdir(join(dir, 'state'))).toEqual([])
    const done = await quire(['repair', dir, '--yes', '--json'])
    expect(done.code, done.stdout + done.stderr).toBe(0)
    expect(jsonOf<RepairDoc>(done).notes).toEqual(['nothing to repair'])
  })

  it('a torn tail in an event store with an empty state/: --yes reports the cut and its quarantine file, exit 0', async () => {
    const dir = join(root, 'es-empty-state-torn')
    await makeEventStore('wal', dir)
    const last = (await segmentsOf(join(dir, 'log'))).at(-1)!
    await tearTail(last, 9)
    const done = await quire(['repair', dir, '--yes', '--json'])
    expect(done.code, done.stdout + done.stderr).toBe(0)
    const did = jsonOf<RepairDoc>(done)
    expect(did.actions).toEqual([expect.objectContaining({ file: last, action: 'cut-torn-tail', bytes: 9 })])
    expect(await readFile(did.actions[0]!.preservedIn!)).toEqual(Buffer.alloc(9, 0xab))
    expect((await quire(['verify', dir])).code).toBe(0)
  })

  it('skip-corrupt is a read mode: --yes is refused (exit 2, nothing changed); the dry run says it removes nothing and never "repaired"', async () => {
    const dir = join(root, 'wal-skip')
    await makeWal(dir, 60, 1024)
    await flipByte((await segmentsOf(dir))[1]!, 40)
    const before = await hashTree(dir)
    const yes = await quire(['repair', dir, '--mode', 'skip-corrupt', '--yes', '--json'])
    expect(yes.code, yes.stdout + yes.stderr).toBe(2)
    const refusal = jsonOf<{ ok: boolean; error: { code: string; message: string } }>(yes)
    expect(refusal).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(refusal.error.message).toMatch(/read mode.*--mode point-in-time --yes/s)
    expect(await hashTree(dir)).toBe(before)
    const dry = await quire(['repair', dir, '--mode', 'skip-corrupt'])
    expect(dry.code).toBe(1)
    expect(dry.stdout).not.toMatch(/repaired|run again with --yes|would skipped/)
    expect(dry.stdout).toMatch(/remove nothing/)
    expect(dry.stdout).toMatch(/skip-corrupt removes no byte/)
    // The action names are nouns after "would do:", never "would removed-after-corruption".
    const pit = await quire(['repair', dir, '--mode', 'point-in-time'])
    expect(pit.stdout).toMatch(/would do: (cut-corrupt|removed-after-corruption) /)
    expect(pit.stdout).not.toMatch(/would (cut|removed|skipped)-/)
    expect(await hashTree(dir)).toBe(before)
  })

  it('a step failing after the log was cut: exit 2, and the output still names the cut and its quarantine file', async () => {
    const dir = join(root, 'es-state-fails')
    await makeEventStore('wal', dir)
    const last = (await segmentsOf(join(dir, 'log'))).at(-1)!
    await tearTail(last, 5)
    await writeFile(join(dir, 'state', 'junk.txt'), 'not a snapshot store\n')
    const r = await quire(['repair', dir, '--yes', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(2)
    const doc = jsonOf<RepairDoc & { error: { code: string; message: string } }>(r)
    expect(doc.actions).toEqual([expect.objectContaining({ file: last, action: 'cut-torn-tail', bytes: 5 })])
    expect(await readFile(doc.actions[0]!.preservedIn!)).toEqual(Buffer.alloc(5, 0xab))
    expect(doc.error.message).toContain(join(dir, 'state'))
    // Run again: the log is clean now, so only the state's failure is left to report.
    const again = await quire(['repair', dir, '--yes'])
    expect(again.code).toBe(2)
    expect(again.stdout).not.toMatch(/repaired/)
  })

  it.each(['wal', 'record-keeper'] as const)('a %s event store whose writer died: --yes takes over the top-level LOCK too (none is left)', async (backend) => {
    const dir = join(root, `es-dead-writer-${backend}`)
    await makeEventStore(backend, dir)
    await staleLock(dir)
    const done = await quire(['repair', dir, '--yes'])
    expect(done.code, done.stdout + done.stderr).toBe(0)
    expect(await readdir(dir)).not.toContain('LOCK')
    expect((await quire(['verify', dir])).code).toBe(0)
  })

  it('--yes and --dry-run together, or an unknown mode, cannot run', async () => {
    const dir = join(root, 'wal-args')
    await makeWal(dir, 2)
    expect((await quire(['repair', dir, '--yes', '--dry-run'])).code).toBe(2)
    const bad = await quire(['repair', dir, '--mode', 'yolo'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/Allowed choices are strict, point-in-time, skip-corrupt/)
  })
})
