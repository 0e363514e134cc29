import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { RecordKeeper, RecordKeeperError, type RecordKeeperEvent } from '../src/index.js'
import { decodeEventFile, encodeEventFile } from '../src/event-file.js'

const DIR = '/store'

async function collect(rk: RecordKeeper, after?: string): Promise<RecordKeeperEvent[]> {
  const out: RecordKeeperEvent[] = []
  for await (const event of rk.events(after === undefined ? {} : { after })) out.push(event)
  return out
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    if (err instanceof RecordKeeperError) return err.code
    if (err instanceof Error && 'code' in err) return String(err.code)
    throw err
  }
  return 'OK'
}

/** The path of an event's file under DIR (FORMAT.md: three one-hex-digit prefix directories). */
const fileOf = (id: string): string => `${DIR}/rk/events/${id[0]!}/${id[1]!}/${id[2]!}/${id}`

describe('RecordKeeper', () => {
  it('starts empty', async () => {
    const rk = await RecordKeeper.open(DIR, { fs: new SimFileSystem() })
    expect(await rk.tail()).toBeNull()
    expect(await rk.next()).toBeNull()
    expect(await collect(rk)).toEqual([])
    await rk.close()
  })

  it('adds, reads, walks and links events in order', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const events = Array.from({ length: 5 }, (_, i) => ({ id: randomUUID(), n: i, when: new Date(1_700_000_000_000 + i) }))
    for (const e of events) await rk.add(e)
    expect(await rk.tail()).toBe(events[4]!.id)
    expect(await rk.next()).toBe(events[0]!.id)
    for (let i = 0; i < 4; i++) expect(await rk.next(events[i]!.id)).toBe(events[i + 1]!.id)
    expect(await rk.next(events[4]!.id)).toBeNull()
    expect(await rk.read(events[2]!.id)).toEqual(events[2])
    expect(await rk.exists(events[3]!.id)).toBe(true)
    expect(await collect(rk)).toEqual(events)
    expect(await collect(rk, events[1]!.id)).toEqual(events.slice(2))
    await rk.close()

    const again = await RecordKeeper.open(DIR, { fs })
    expect(again.recovery).toEqual({ events: 5, orphansRemoved: 0, tempFilesRemoved: 0, linksFinished: 0, tailRepaired: false, readOnly: false })
    expect(await collect(again)).toEqual(events)
    expect((await again.verify()).ok).toBe(true)
    await again.close()
  })

  it('keeps the layout of gonk: head, tail, events/a/b/c/<uuid> with a next field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rk-layout-'))
    try {
      const rk = await RecordKeeper.open(dir)
      const a = { id: '96f76903-7b92-44d1-8e53-fc47a520684c', kind: 'opened' }
      const b = { id: '62af3937-4c5b-405b-a170-6ef12a5e246a', kind: 'closed' }
      await rk.add(a)
      await rk.add(b)
      await rk.close()
      const head = await readFile(join(dir, 'rk/head'), 'utf8')
      const tail = await readFile(join(dir, 'rk/tail'), 'utf8')
      expect(head.split('\n')[0]).toBe(a.id)
      expect(tail.split('\n')[0]).toBe(b.id)
      const fileA = JSON.parse(await readFile(join(dir, 'rk/events/9/6/f', a.id), 'utf8')) as Record<string, unknown>
      const fileB = JSON.parse(await readFile(join(dir, 'rk/events/6/2/a', b.id), 'utf8')) as Record<string, unknown>
      expect(fileA.next).toBe(b.id)
      expect(fileB.next).toBeNull()
      expect(fileA.event).toEqual(a)
      expect(fileA.format).toBe('quire-rk-event/1')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rejects bad input with INVALID_ARGUMENT before writing anything', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs, maxEventBytes: 1024 })
    fs.resetStats()
    const bad: unknown[] = [
      null,
      [],
      'x',
      { id: 'not-a-uuid' },
      { id: '96F76903-7B92-44D1-8E53-FC47A520684C' },
      { id: '../../../../etc/passwd' },
      { id: ' 96f76903-7b92-44d1-8e53-fc47a520684c' },
      { id: '96f76903-7b92-44d1-8e53-fc47a520684c', bad: () => 1 },
      { id: '96f76903-7b92-44d1-8e53-fc47a520684c', bad: Number.NaN },
      { id: '96f76903-7b92-44d1-8e53-fc47a520684c', big: 'x'.repeat(2000) },
      JSON.parse('{"id":"96f76903-7b92-44d1-8e53-fc47a520684c","__proto__":{"polluted":1}}'),
    ]
    for (const event of bad) expect(await codeOf(rk.add(event as RecordKeeperEvent))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(rk.read('nope'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(rk.next('../x'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(rk.exists('96F76903-7B92-44D1-8E53-FC47A520684C'))).toBe('INVALID_ARGUMENT')
    expect(fs.stats.writes + fs.stats.opens + fs.stats.mkdirs).toBe(0)
    await rk.close()
  })

  it('rejects a duplicate id with EXISTS, also while the first add is in flight', async () => {
    const rk = await RecordKeeper.open(DIR, { fs: new SimFileSystem() })
    const id = randomUUID()
    const first = rk.add({ id, n: 1 })
    expect(await codeOf(rk.add({ id, n: 2 }))).toBe('EXISTS')
    await first
    expect(await codeOf(rk.add({ id, n: 3 }))).toBe('EXISTS')
    expect(await rk.read(id)).toEqual({ id, n: 1 })
    await rk.close()
  })

  it('answers NOT_FOUND for unknown ids', async () => {
    const rk = await RecordKeeper.open(DIR, { fs: new SimFileSystem() })
    const id = randomUUID()
    expect(await codeOf(rk.read(id))).toBe('NOT_FOUND')
    expect(await codeOf(rk.next(id))).toBe('NOT_FOUND')
    expect(await codeOf(collect(rk, id))).toBe('NOT_FOUND')
    expect(await rk.exists(id)).toBe(false)
    await rk.close()
  })

  it('hides events whose add has not resolved yet', async () => {
    const rk = await RecordKeeper.open(DIR, { fs: new SimFileSystem() })
    const id = randomUUID()
    const adding = rk.add({ id })
    expect(await rk.exists(id)).toBe(false)
    expect(await rk.tail()).toBeNull()
    await adding
    expect(await rk.exists(id)).toBe(true)
    expect(await rk.tail()).toBe(id)
    await rk.close()
  })

  it('shows nothing of an add until its link is durable', async () => {
    const sim = new SimFileSystem()
    // Holds every syncDir until released, so the test can look while the add is mid-way.
    let hold: Promise<void> | undefined
    let release = (): void => undefined
    const held: string[] = []
    const fs = new Proxy(sim, {
      get(target, prop, receiver) {
        if (prop === 'syncDir') {
          return async (path: string) => {
            if (hold !== undefined && path === `${DIR}/rk/events/9/6/f`) {
              held.push(path)
              await hold
            }
            return target.syncDir(path)
          }
        }
        const value: unknown = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
    const rk = await RecordKeeper.open(DIR, { fs })
    const a = { id: '96f76903-7b92-44d1-8e53-fc47a520684c' }
    await rk.add(a)
    hold = new Promise<void>((resolve) => (release = resolve))
    const b = { id: '62af3937-4c5b-405b-a170-6ef12a5e246a' }
    let resolved = false
    const adding = rk.add(b).then(() => (resolved = true))
    while (held.length === 0) await new Promise((r) => setImmediate(r))
    // The link's directory sync (a's directory, after the rename) is held: nothing of b may show.
    expect(resolved).toBe(false)
    expect(await rk.exists(b.id)).toBe(false)
    expect(await rk.tail()).toBe(a.id)
    expect(await rk.next(a.id)).toBeNull()
    hold = undefined
    release()
    await adding
    expect(await rk.tail()).toBe(b.id)
    expect(await rk.next(a.id)).toBe(b.id)
    await rk.close()
  })

  it('groups concurrent adds: 64 adds cost far fewer than 64 full sets of syncs', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    await rk.add({ id: randomUUID() })
    fs.resetStats()
    const events = Array.from({ length: 64 }, (_, i) => ({ id: randomUUID(), i }))
    await Promise.all(events.map((e) => rk.add(e)))
    await rk.close()
    // Alone, each add costs 3 file syncs (event, relinked tail, tail pointer) and 3 directory syncs.
    expect(fs.stats.syncs).toBeLessThanOrEqual(64 + 4)
    expect(fs.stats.renames).toBeLessThanOrEqual(4)
    const again = await RecordKeeper.open(DIR, { fs })
    expect((await collect(again)).slice(1)).toEqual(events)
    await again.close()
  })

  it('serialises concurrent adds into one history in call order', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const events = Array.from({ length: 300 }, (_, i) => ({ id: randomUUID(), i }))
    const done: string[] = []
    await Promise.all(events.map((e) => rk.add(e).then(() => done.push(e.id))))
    expect(done).toEqual(events.map((e) => e.id))
    expect(await collect(rk)).toEqual(events)
    await rk.close()
  })

  it('is single-writer per directory (LOCKED), and close is idempotent', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    expect(await codeOf(RecordKeeper.open(DIR, { fs }))).toBe('LOCKED')
    await rk.close()
    await rk.close()
    await rk[Symbol.asyncDispose]()
    expect(await codeOf(rk.add({ id: randomUUID() }))).toBe('CLOSED')
    expect(await codeOf(rk.tail())).toBe('CLOSED')
    const again = await RecordKeeper.open(DIR, { fs })
    await again.close()
  })

  it('is poisoned after a failed sync, and recovers on reopen', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const a = { id: randomUUID() }
    await rk.add(a)
    const fault = fs.injectFault({ op: 'sync', error: 'EIO' })
    expect(await codeOf(rk.add({ id: randomUUID() }))).toBe('POISONED')
    fault.remove()
    expect(await codeOf(rk.add({ id: randomUUID() }))).toBe('POISONED')
    expect(await rk.tail()).toBe(a.id)
    await rk.close()
    const again = await RecordKeeper.open(DIR, { fs })
    const b = { id: randomUUID() }
    await again.add(b)
    expect(await collect(again)).toEqual([a, b])
    await again.close()
  })

  it('removes an orphan on open so its id can be added again (gonk could not)', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const a = { id: randomUUID() }
    await rk.add(a)
    const orphan = { id: randomUUID(), v: 1 }
    // Fail the link step: the event file is durable, but nothing points at it.
    const fault = fs.injectFault({ op: 'rename', error: 'EIO' })
    expect(await codeOf(rk.add(orphan))).toBe('POISONED')
    fault.remove()
    await rk.close()
    expect((await RecordKeeper.verify(DIR, { fs })).orphans).toHaveLength(1)
    const again = await RecordKeeper.open(DIR, { fs })
    expect(again.recovery.orphansRemoved).toBe(1)
    expect(await again.exists(orphan.id)).toBe(false)
    expect(await again.tail()).toBe(a.id)
    await again.add({ ...orphan, v: 2 })
    expect(await collect(again)).toEqual([a, { ...orphan, v: 2 }])
    expect((await again.verify()).ok).toBe(true)
    await again.close()
  })

  it('detects a damaged event: read is CORRUPT, open refuses a broken chain, verify reports it', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const a = { id: '96f76903-7b92-44d1-8e53-fc47a520684c', text: 'hello' }
    const b = { id: randomUUID() }
    await rk.add(a)
    await rk.add(b)
    // The link a -> b is renamed into place with the next group's round: damage a's final file.
    await rk.add({ id: randomUUID() })
    fs.corruptByte(`${DIR}/rk/events/9/6/f/${a.id}`, 130)
    expect(await codeOf(rk.read(a.id))).toBe('CORRUPT')
    await rk.close()
    expect(await codeOf(RecordKeeper.open(DIR, { fs }))).toBe('CORRUPT')
    const report = await RecordKeeper.verify(DIR, { fs })
    expect(report.ok).toBe(false)
    expect(report.brokenLinks[0]).toContain(a.id)
  })

  it.each(['deleted', 'damaged'])('an event file %s mid-chain: the later acknowledged events are unreachable after it, never orphans; open refuses, nothing removed', async (how) => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const events = Array.from({ length: 20 }, (_, i) => ({ id: randomUUID(), n: i }))
    for (const e of events) await rk.add(e)
    await rk.close()
    const tenth = fileOf(events[9]!.id)
    if (how === 'deleted') await fs.unlink(tenth)
    else fs.corruptByte(tenth, 40)
    const report = await RecordKeeper.verify(DIR, { fs })
    expect(report.ok).toBe(false)
    expect(report.events).toBe(9)
    expect(report.brokenAt).toBe(tenth)
    expect(report.brokenLinks).toEqual([expect.stringContaining(tenth)])
    expect(report.orphans).toEqual([])
    expect([...report.unreachable].sort()).toEqual(events.slice(10).map((e) => fileOf(e.id)).sort())
    // Neither open removes or changes anything: the writable one refuses, naming the break.
    const before = await Promise.all(events.slice(10).map((e) => fs.readFile(fileOf(e.id))))
    const err = await RecordKeeper.open(DIR, { fs }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'CORRUPT' })
    expect((err as Error).message).toContain(`broken at ${tenth}`)
    expect(await codeOf(RecordKeeper.open(DIR, { fs, readOnly: true }))).toBe('CORRUPT')
    expect(await Promise.all(events.slice(10).map((e) => fs.readFile(fileOf(e.id))))).toEqual(before)
  })

  it('an intact chain whose tail names a file off it (a lost link): the files leading there are unreachable, not orphans; open refuses', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const events = Array.from({ length: 6 }, (_, i) => ({ id: randomUUID(), n: i }))
    for (const e of events) await rk.add(e)
    await rk.close()
    // Event 3's file as it was before event 4 was linked (next: null): the chain ends at 3.
    const third = fileOf(events[2]!.id)
    const record = decodeEventFile(await fs.readFile(third))!
    expect(record.next).toBe(events[3]!.id)
    await fs.writeFile(third, encodeEventFile({ ...record, next: null }))
    const report = await RecordKeeper.verify(DIR, { fs })
    expect(report.brokenAt).toBeNull()
    expect(report.events).toBe(3)
    expect(report.orphans).toEqual([])
    expect([...report.unreachable].sort()).toEqual(events.slice(3).map((e) => fileOf(e.id)).sort())
    expect(await codeOf(RecordKeeper.open(DIR, { fs }))).toBe('CORRUPT')
  })

  it('a missing head is CORRUPT, not a history of orphans to delete (regression)', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    for (let i = 0; i < 3; i++) await rk.add({ id: randomUUID() })
    await rk.close()
    await fs.unlink(`${DIR}/rk/head`)
    await fs.syncDir(`${DIR}/rk`)
    expect(await codeOf(RecordKeeper.open(DIR, { fs }))).toBe('CORRUPT')
  })

  it('an acknowledged group whose link is durable only as its temp file: recovery renames it into place (roll forward)', async () => {
    const fs = new SimFileSystem({ pessimistic: true })
    const rk = await RecordKeeper.open(DIR, { fs })
    const a = { id: randomUUID(), n: 1 }
    const burst = [
      { id: randomUUID(), n: 2 },
      { id: randomUUID(), n: 3 },
    ]
    await rk.add(a)
    await Promise.all(burst.map((e) => rk.add(e)))
    // A power loss now: a's link (rk/head) is renamed, the burst's link is a temp file next to a.
    const image = fs.crash(7)
    const temps = (await image.readdir(fileOf(a.id).slice(0, -37))).filter((n) => n.startsWith(`${a.id}.`))
    expect(temps).toHaveLength(1)
    const again = await RecordKeeper.open(DIR, { fs: image })
    expect(again.recovery).toMatchObject({ events: 3, linksFinished: 1, tempFilesRemoved: 0, orphansRemoved: 0 })
    expect(await collect(again)).toEqual([a, ...burst])
    expect(decodeEventFile(await image.readFile(fileOf(a.id)))?.next).toBe(burst[0]!.id)
    expect((await again.verify()).ok).toBe(true)
    await again.close()
    await rk.close()
  })

  it('opens a version 1 store and upgrades its marker, so that a version 1 release refuses it', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const a = { id: randomUUID() }
    await rk.add(a)
    await rk.close()
    const v1 = new TextEncoder().encode('quire-fs-record-keeper 1\n')
    await fs.writeFile(`${DIR}/rk/FORMAT`, v1)
    const readOnly = await RecordKeeper.open(DIR, { fs, readOnly: true })
    expect(await collect(readOnly)).toEqual([a])
    await readOnly.close()
    expect(await fs.readFile(`${DIR}/rk/FORMAT`)).toEqual(v1)
    const again = await RecordKeeper.open(DIR, { fs })
    expect(await collect(again)).toEqual([a])
    await again.close()
    expect(new TextDecoder().decode(await fs.readFile(`${DIR}/rk/FORMAT`))).toBe('quire-fs-record-keeper 2\n')
  })

  it('repairs a stale or missing tail file', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const events = [{ id: randomUUID() }, { id: randomUUID() }]
    for (const e of events) await rk.add(e)
    await rk.close()
    await fs.unlink(`${DIR}/rk/tail`)
    expect((await RecordKeeper.verify(DIR, { fs })).staleTail).toBe(true)
    const again = await RecordKeeper.open(DIR, { fs })
    expect(again.recovery.tailRepaired).toBe(true)
    expect(await again.tail()).toBe(events[1]!.id)
    await again.close()
    expect((await RecordKeeper.verify(DIR, { fs })).ok).toBe(true)
  })

  it('reports stray and temp files; open removes temp files and keeps strays', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const a = { id: '96f76903-7b92-44d1-8e53-fc47a520684c' }
    await rk.add(a)
    await rk.close()
    const leaf = `${DIR}/rk/events/9/6/f`
    await fs.writeFile(`${leaf}/${a.id}.0123456789ab.tmp`, new Uint8Array(3))
    await fs.writeFile(`${leaf}/notes.txt`, new Uint8Array(3))
    await fs.writeFile(`${DIR}/rk/events/x`, new Uint8Array(3))
    const report = await RecordKeeper.verify(DIR, { fs })
    expect(report.ok).toBe(false)
    expect(report.strays).toHaveLength(3)
    const again = await RecordKeeper.open(DIR, { fs })
    expect(again.recovery.tempFilesRemoved).toBe(1)
    expect([...(await again.verify()).strays].sort()).toEqual([`${DIR}/rk/events/x`, `${leaf}/notes.txt`].sort())
    expect(await again.tail()).toBe(a.id)
    await again.close()
  })

  it('repairs a tail file that names an id not on the chain', async () => {
    const fs = new SimFileSystem()
    const rk = await RecordKeeper.open(DIR, { fs })
    const a = { id: randomUUID() }
    await rk.add(a)
    await rk.close()
    const { encodePointer } = await import('../src/pointer-file.js')
    await fs.writeFile(`${DIR}/rk/tail`, encodePointer(randomUUID()))
    const again = await RecordKeeper.open(DIR, { fs })
    expect(again.recovery.tailRepaired).toBe(true)
    expect(await again.tail()).toBe(a.id)
    await again.close()
    expect((await RecordKeeper.verify(DIR, { fs })).ok).toBe(true)
  })

  it('includes events acknowledged while a walk runs', async () => {
    const rk = await RecordKeeper.open(DIR, { fs: new SimFileSystem() })
    const events = Array.from({ length: 5 }, () => ({ id: randomUUID() }))
    await rk.add(events[0]!)
    const seen: string[] = []
    for await (const event of rk.events()) {
      seen.push(event.id)
      if (seen.length < events.length) await rk.add(events[seen.length]!)
    }
    expect(seen).toEqual(events.map((e) => e.id))
    await rk.close()
  })

  it('refuses a directory with a foreign FORMAT marker', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir(`${DIR}/rk`, { recursive: true })
    await fs.writeFile(`${DIR}/rk/FORMAT`, new TextEncoder().encode('something else 9\n'))
    expect(await codeOf(RecordKeeper.open(DIR, { fs }))).toBe('CORRUPT')
  })
})
