// The CommitLog contract (src/commit-log.ts) and the SideStore contract, run on each embedded
// backend on the simulated disk: what LocalDriver relies on, checked below it.
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { openNdjsonStore } from '../src/backends/ndjson.js'
import { openRecordKeeperStore } from '../src/backends/record-keeper.js'
import { storeKey } from '../src/backends/snapshot-side-store.js'
import { openWalStore } from '../src/backends/wal.js'
import { BACKENDS, closeParts, NDJSON_FILE, openParts, replayAll, STORE_DIR, storedEvent, type BackendName } from './parts.js'

/** A path pattern matching the files of a backend's log (not its side store). */
const LOG_FILES: Record<BackendName, RegExp> = {
  wal: /^\/data\/store\/log\//,
  ndjson: /^\/data\/events\.ndjson$/,
  'record-keeper': /^\/data\/store\/log\//,
}

describe.each(BACKENDS)('CommitLog contract: %s', (name) => {
  it('an empty log has position 0 and replays nothing', async () => {
    const p = await openParts(name, new SimFileSystem())
    expect(p.log.lastPosition).toBe(0n)
    expect(p.log.poisoned).toBe(false)
    expect(await replayAll(p.log)).toEqual([])
    await closeParts(p)
  })

  it('replays exactly what was appended, positions from 1 with no hole, across a reopen and a power cut', async () => {
    const fs = new SimFileSystem({ pessimistic: true, seed: 3 })
    const p = await openParts(name, fs)
    const commits = [
      [storedEvent('account-7', 0), storedEvent('account-7', 1, { metadata: { correlationId: 'c1', at: new Date(5) } })],
      [storedEvent('ünïcödé-☃', 0, { type: 'Opened', data: null })],
      [storedEvent('a', 0), storedEvent('b', 0), storedEvent('$$a', 0, { type: '$metadata', data: { maxCount: 3 } })],
      [storedEvent('a', 1, { data: { nested: [1, 'two', { three: [true, false, null] }], big: 2 ** 52, neg: -1.5, s: '"\n\\' } })],
    ]
    const firsts: bigint[] = []
    for (const events of commits) firsts.push((await p.log.append({ events })).firstPosition)
    expect(firsts).toEqual([1n, 3n, 4n, 7n])
    expect(p.log.lastPosition).toBe(7n)
    const expected = commits.map((events, i) => ({ firstPosition: firsts[i]!, events }))
    expect(await replayAll(p.log)).toEqual(expected)
    await closeParts(p)
    for (const image of [fs, fs.crash(11)]) {
      const q = await openParts(name, image)
      expect(q.log.lastPosition).toBe(7n)
      expect(await replayAll(q.log)).toEqual(expected)
      expect((await q.log.append({ events: [storedEvent('a', 2)] })).firstPosition).toBe(8n)
      await closeParts(q)
    }
  })

  it('replay from a position yields the commit holding it, whole, and everything after', async () => {
    const fs = new SimFileSystem()
    const p = await openParts(name, fs)
    for (let i = 0; i < 6; i++) await p.log.append({ events: [storedEvent(`s${i}`, 0), storedEvent(`s${i}`, 1), storedEvent(`s${i}`, 2)] })
    const all = await replayAll(p.log)
    expect(all.map((c) => c.firstPosition)).toEqual([1n, 4n, 7n, 10n, 13n, 16n])
    expect(await replayAll(p.log, 0n)).toEqual(all)
    expect(await replayAll(p.log, 1n)).toEqual(all)
    expect(await replayAll(p.log, 8n)).toEqual(all.slice(2))
    expect(await replayAll(p.log, 10n)).toEqual(all.slice(3))
    expect(await replayAll(p.log, 18n)).toEqual(all.slice(5))
    expect(await replayAll(p.log, 19n)).toEqual([])
    await closeParts(p)
    // Also on a freshly opened log, before any full replay, and then after one.
    const q = await openParts(name, fs)
    expect(await replayAll(q.log, 8n)).toEqual(all.slice(2))
    expect(await replayAll(q.log)).toEqual(all)
    expect(await replayAll(q.log, 14n)).toEqual(all.slice(4))
    await q.log.append({ events: [storedEvent('t', 0)] })
    expect((await replayAll(q.log, 19n)).map((c) => c.firstPosition)).toEqual([19n])
    await closeParts(q)
  })

  it('concurrent appends resolve in call order with contiguous positions', async () => {
    const p = await openParts(name, new SimFileSystem())
    const sizes = Array.from({ length: 60 }, (_, i) => 1 + (i % 4))
    const done: number[] = []
    const results = await Promise.all(
      sizes.map((n, i) =>
        p.log.append({ events: Array.from({ length: n }, (_, r) => storedEvent(`c${i}`, r)) }).then((res) => {
          done.push(i)
          return res.firstPosition
        }),
      ),
    )
    expect(done).toEqual(sizes.map((_, i) => i))
    let next = 1n
    results.forEach((first, i) => {
      expect(first).toBe(next)
      next += BigInt(sizes[i]!)
    })
    expect(p.log.lastPosition).toBe(next - 1n)
    expect((await replayAll(p.log)).map((c) => c.firstPosition)).toEqual(results)
    await closeParts(p)
  })

  it('bad commits are refused before anything is written, without using a position', async () => {
    const p = await openParts(name, new SimFileSystem())
    await p.log.append({ events: [storedEvent('a', 0)] })
    await expect(p.log.append({ events: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    // A value the encoding cannot keep: msgpack refuses lone surrogates, JSON refuses undefined.
    const bad = name === 'wal' ? { s: '\ud800' } : { u: undefined }
    await expect(p.log.append({ events: [storedEvent('a', 1, { data: bad })] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(p.log.append({ events: [storedEvent('a', 1, { id: 'NOT-A-UUID' })] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const many = Array.from({ length: 10_001 }, (_, r) => storedEvent('big', r))
    await expect(p.log.append({ events: many })).rejects.toMatchObject({ code: 'MAX_APPEND_SIZE_EXCEEDED' })
    expect((await p.log.append({ events: [storedEvent('a', 1)] })).firstPosition).toBe(2n)
    expect((await replayAll(p.log)).map((c) => c.firstPosition)).toEqual([1n, 2n])
    await closeParts(p)
  })

  it('after close: appends and replays are CLOSED; close is idempotent; the store opens again', async () => {
    const fs = new SimFileSystem()
    const p = await openParts(name, fs)
    const inFlight = p.log.append({ events: [storedEvent('a', 0)] })
    const closing = closeParts(p)
    // An append issued before close finishes; one issued after is refused.
    expect((await inFlight).firstPosition).toBe(1n)
    await closing
    await expect(p.log.append({ events: [storedEvent('a', 1)] })).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(replayAll(p.log)).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(p.side.loadCheckpoint('x')).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(p.side.storeCheckpoint('x', { position: 1n, eventId: 'e' })).rejects.toMatchObject({ code: 'CLOSED' })
    await closeParts(p)
    const q = await openParts(name, fs)
    expect(q.log.lastPosition).toBe(1n)
    await closeParts(q)
  })

  it('a second opener gets LOCKED while the store is open', async () => {
    const fs = new SimFileSystem()
    const p = await openParts(name, fs)
    await expect(openParts(name, fs)).rejects.toMatchObject({ code: 'LOCKED' })
    await closeParts(p)
    await closeParts(await openParts(name, fs))
  })

  it('ENOSPC on the log fails that append with APPEND_FAILED; positions go on with no gap', async () => {
    const fs = new SimFileSystem({ seed: 5 })
    const p = await openParts(name, fs)
    await p.log.append({ events: [storedEvent('a', 0)] })
    fs.injectFault({ op: 'write', path: LOG_FILES[name], error: 'ENOSPC', partial: true })
    const err = (await p.log.append({ events: [storedEvent('a', 1), storedEvent('b', 0)] }).catch((e: unknown) => e)) as Error
    expect(err).toMatchObject({ code: 'APPEND_FAILED' })
    expect(err.message).toContain('ENOSPC')
    let log = p.log
    if (name === 'record-keeper') {
      // No rollback in the record keeper: any failed write poisons until reopen.
      expect(p.log.poisoned).toBe(true)
      await expect(p.log.append({ events: [storedEvent('a', 1)] })).rejects.toMatchObject({ code: 'POISONED' })
      await closeParts(p)
      log = (await openParts(name, fs)).log
    } else {
      expect(p.log.poisoned).toBe(false)
    }
    expect((await log.append({ events: [storedEvent('a', 1)] })).firstPosition).toBe(2n)
    expect((await replayAll(log)).map((c) => [c.firstPosition, c.events.length])).toEqual([
      [1n, 1],
      [2n, 1],
    ])
    await log.close()
  })

  it('EIO on a sync fails the append with APPEND_FAILED (outcome unknown) and poisons until reopen', async () => {
    const fs = new SimFileSystem()
    const p = await openParts(name, fs)
    await p.log.append({ events: [storedEvent('a', 0)] })
    fs.injectFault({ op: 'sync', path: LOG_FILES[name], error: 'EIO' })
    const caught = await Promise.allSettled([p.log.append({ events: [storedEvent('a', 1)] }), p.log.append({ events: [storedEvent('b', 0)] })])
    for (const r of caught) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'APPEND_FAILED' } })
    expect(p.log.poisoned).toBe(true)
    await expect(p.log.append({ events: [storedEvent('c', 0)] })).rejects.toMatchObject({ code: 'POISONED' })
    await closeParts(p)
    // After a power cut the failed appends are gone; reopened, the log goes on after what it holds.
    const q = await openParts(name, fs.crash(2))
    expect(q.log.poisoned).toBe(false)
    const last = q.log.lastPosition
    expect(last).toBe(1n)
    expect((await q.log.append({ events: [storedEvent('c', 0)] })).firstPosition).toBe(last + 1n)
    await closeParts(q)
  })

  it('a directory holding another backend refuses to open', async () => {
    if (name === 'ndjson') return
    const fs = new SimFileSystem()
    await closeParts(await openParts(name, fs))
    const other = name === 'wal' ? openRecordKeeperStore(STORE_DIR, { fs }) : openWalStore(STORE_DIR, { fs })
    await expect(other).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    // ...and it was left as it was.
    await closeParts(await openParts(name, fs))
  })
})

describe.each(BACKENDS)('SideStore contract: %s', (name) => {
  it('checkpoints: last write wins (also backwards), delete, durable once resolved', async () => {
    const fs = new SimFileSystem({ pessimistic: true, seed: 9 })
    const p = await openParts(name, fs)
    expect(await p.side.loadCheckpoint('email')).toBeUndefined()
    await p.side.storeCheckpoint('email', { position: 10n, eventId: 'e10' })
    await p.side.storeCheckpoint('email', { position: 20n, eventId: 'e20' })
    await p.side.storeCheckpoint('email', { position: 5n, eventId: 'e5' })
    expect(await p.side.loadCheckpoint('email')).toEqual({ position: 5n, eventId: 'e5' })
    await p.side.storeCheckpoint('other', { position: 2n ** 60n, eventId: 'far' })
    await p.side.storeCheckpoint('gone', { position: 1n, eventId: 'x' })
    await p.side.storeCheckpoint('gone', undefined)
    expect(await p.side.loadCheckpoint('gone')).toBeUndefined()
    // Concurrent stores of one subscription land in call order.
    await Promise.all([1n, 2n, 3n, 4n].map((position) => p.side.storeCheckpoint('race', { position, eventId: `r${position}` })))
    // No close: a power cut right after the last resolve.
    const q = await openParts(name, fs.crash(4))
    expect(await q.side.loadCheckpoint('email')).toEqual({ position: 5n, eventId: 'e5' })
    expect(await q.side.loadCheckpoint('other')).toEqual({ position: 2n ** 60n, eventId: 'far' })
    expect(await q.side.loadCheckpoint('gone')).toBeUndefined()
    expect(await q.side.loadCheckpoint('race')).toEqual({ position: 4n, eventId: 'r4' })
    await q.side.storeCheckpoint('gone', { position: 3n, eventId: 'back' })
    expect(await q.side.loadCheckpoint('gone')).toEqual({ position: 3n, eventId: 'back' })
    await closeParts(q)
  })

  it('snapshots: last save wins (a rebuild may go back to position 0), schemaVersion kept, long keys hashed', async () => {
    const fs = new SimFileSystem()
    const p = await openParts(name, fs)
    const longKey = `agg:${'ß'.repeat(300)}`
    expect(storeKey('s', longKey)).toMatch(/^s#[0-9a-f]{64}$/)
    expect(storeKey('s', 'agg:a')).toBe('s:agg:a')
    await p.side.saveSnapshot('proj:p', { position: 100n, schemaVersion: 1, state: { total: 100 } })
    await p.side.saveSnapshot('proj:p', { position: 0n, schemaVersion: 2, state: { total: 0, at: new Date(7) } })
    await p.side.saveSnapshot(longKey, { position: 3n, schemaVersion: 1, state: [1, 2, 3] })
    await p.side.saveSnapshot(`${longKey}x`, { position: 4n, schemaVersion: 1, state: 'other' })
    await closeParts(p)
    const q = await openParts(name, fs.crash(1))
    expect(await q.side.loadSnapshot('proj:p')).toEqual({ position: 0n, schemaVersion: 2, state: { total: 0, at: new Date(7) } })
    expect(await q.side.loadSnapshot(longKey)).toEqual({ position: 3n, schemaVersion: 1, state: [1, 2, 3] })
    expect(await q.side.loadSnapshot(`${longKey}x`)).toEqual({ position: 4n, schemaVersion: 1, state: 'other' })
    expect(await q.side.loadSnapshot('absent')).toBeUndefined()
    await closeParts(q)
  })

  it('a damaged snapshot loads as undefined; a damaged newest checkpoint falls back to the one before', async () => {
    const fs = new SimFileSystem()
    const p = await openParts(name, fs)
    await p.side.saveSnapshot('agg:a', { position: 3n, schemaVersion: 1, state: { n: 3 } })
    await p.side.storeCheckpoint('sub', { position: 1n, eventId: 'one' })
    await p.side.storeCheckpoint('sub', { position: 2n, eventId: 'two' })
    await closeParts(p)
    const stateDir = name === 'ndjson' ? `${NDJSON_FILE}.state` : `${STORE_DIR}/state`
    const hex = (s: string): string => Buffer.from(s).toString('hex')
    const newest = async (key: string): Promise<string> => {
      const dir = `${stateDir}/k-${hex(key)}`
      const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.snap'))
      return `${dir}/${files.at(-1)!}`
    }
    const snap = await newest('s:agg:a')
    fs.corruptByte(snap, (await fs.stat(snap)).size - 6)
    const cp = await newest('c:sub')
    fs.corruptByte(cp, (await fs.stat(cp)).size - 6)
    const q = await openParts(name, fs)
    expect(await q.side.loadSnapshot('agg:a')).toBeUndefined()
    expect(await q.side.loadCheckpoint('sub')).toEqual({ position: 1n, eventId: 'one' })
    // A save after damage still wins.
    await q.side.saveSnapshot('agg:a', { position: 4n, schemaVersion: 1, state: { n: 4 } })
    expect(await q.side.loadSnapshot('agg:a')).toEqual({ position: 4n, schemaVersion: 1, state: { n: 4 } })
    await closeParts(q)
  })

  it('an EIO on a checkpoint sync is POISONED for later side-store writes; the log is unaffected', async () => {
    const fs = new SimFileSystem()
    const p = await openParts(name, fs)
    const stateFiles = name === 'ndjson' ? /\.ndjson\.state\// : /\/store\/state\//
    fs.injectFault({ op: 'sync', path: stateFiles, error: 'EIO' })
    await expect(p.side.storeCheckpoint('sub', { position: 1n, eventId: 'e' })).rejects.toMatchObject({ code: 'POISONED' })
    await expect(p.side.storeCheckpoint('sub', { position: 1n, eventId: 'e' })).rejects.toMatchObject({ code: 'POISONED' })
    expect((await p.log.append({ events: [storedEvent('a', 0)] })).firstPosition).toBe(1n)
    await closeParts(p)
  })
})

describe('NDJSON backend layout', () => {
  it('keeps its state next to the log, in <file>.state/', async () => {
    const fs = new SimFileSystem()
    const p = await openNdjsonStore(NDJSON_FILE, { fs })
    await closeParts(p)
    // The log's lock directory goes with a clean close.
    expect((await fs.readdir('/data')).sort()).toEqual(['events.ndjson', 'events.ndjson.state'])
    expect(new TextDecoder().decode(await fs.readFile(`${NDJSON_FILE}.state/FORMAT`))).toBe('{"format":"quire-event-store","backend":"ndjson","version":1}\n')
  })
})
