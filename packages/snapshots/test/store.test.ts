import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonCodec } from '@quire/codec'
import { NodeFileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ClosedError,
  InvalidArgumentError,
  LockedError,
  PoisonedError,
  SnapshotStore,
  type CorruptionReport,
} from '../src/index.js'

const DIR = '/store'

async function openSim(options: Parameters<typeof SnapshotStore.open>[1] = {}) {
  const fs = new SimFileSystem()
  const store = await SnapshotStore.open(DIR, { fs, ...options })
  return { fs, store }
}

async function snapFiles(fs: SimFileSystem, key: string): Promise<string[]> {
  const dir = join(DIR, `k-${Buffer.from(key).toString('hex')}`)
  return (await fs.exists(dir)) ? await fs.readdir(dir) : []
}

describe('SnapshotStore basics', () => {
  it('saves and loads a state', async () => {
    const { store } = await openSim()
    await store.save('acct-1', { position: 7, state: { balance: 10, when: new Date(5) } })
    const got = await store.load('acct-1')
    expect(got).toMatchObject({ key: 'acct-1', position: 7, schemaVersion: 1, state: { balance: 10, when: new Date(5) } })
    expect(typeof got!.createdAtMs).toBe('number')
    expect(await store.load('other')).toBeUndefined()
    await store.close()
  })

  it('returns the highest position, not the last saved, and honours maxPosition', async () => {
    const { store } = await openSim({ keep: 5 })
    await store.save('k', { position: 10, state: 'ten' })
    await store.save('k', { position: 5, state: 'five' })
    expect((await store.load('k'))?.state).toBe('ten')
    expect((await store.load('k', { maxPosition: 9 }))?.state).toBe('five')
    expect(await store.load('k', { maxPosition: 4 })).toBeUndefined()
    await store.save('k', { position: 10, state: 'ten again' })
    expect((await store.load('k'))?.state).toBe('ten again')
    await store.close()
  })

  it('keeps the newest plus `keep` older snapshots, by position', async () => {
    const { fs, store } = await openSim({ keep: 2 })
    for (let p = 1; p <= 6; p++) await store.save('k', { position: p, state: p })
    await store.close() // waits for the background prune
    const names = await snapFiles(fs, 'k')
    expect(names.map((n) => Number.parseInt(n.slice(0, 16), 16))).toEqual([4, 5, 6])
  })

  it('keep: 0 keeps only the newest, and a lower position save does not displace it', async () => {
    const { fs, store } = await openSim({ keep: 0 })
    await store.save('k', { position: 9, state: 'nine' })
    await store.save('k', { position: 3, state: 'three' })
    await store.close()
    expect((await snapFiles(fs, 'k')).length).toBe(1)
    const again = await SnapshotStore.open(DIR, { fs })
    expect((await again.load('k'))?.state).toBe('nine')
    await again.close()
  })

  it('persists across reopen and lists keys', async () => {
    const fs = new SimFileSystem()
    const a = await SnapshotStore.open(DIR, { fs })
    const keys = ['a', 'b/../..', '..', 'ünï', '𝄞 clef', 'x'.repeat(120)]
    for (const [i, key] of keys.entries()) await a.save(key, { position: i, state: { key } })
    await a.close()
    const b = await SnapshotStore.open(DIR, { fs })
    for (const [i, key] of keys.entries()) expect(await b.load(key)).toMatchObject({ position: i, state: { key } })
    const listed: string[] = []
    for await (const key of b.keys()) listed.push(key)
    expect(listed.sort()).toEqual([...keys].sort())
    await b.close()
  })

  it('delete removes every snapshot of a key and only that key', async () => {
    const { fs, store } = await openSim()
    await store.save('a', { position: 1, state: 1 })
    await store.save('a', { position: 2, state: 2 })
    await store.save('b', { position: 1, state: 'b' })
    await store.delete('a')
    expect(await store.load('a')).toBeUndefined()
    expect((await store.load('b'))?.state).toBe('b')
    expect(await fs.exists(join(DIR, 'k-61'))).toBe(false)
    await store.delete('never-saved')
    await store.save('a', { position: 3, state: 3 })
    expect((await store.load('a'))?.state).toBe(3)
    const listed: string[] = []
    for await (const key of store.keys()) listed.push(key)
    expect(listed).toEqual(['a', 'b'])
    await store.close()
  })

  it('serialises saves of one key in call order and runs keys in parallel', async () => {
    const { store } = await openSim({ keep: 100 })
    const saves: Promise<void>[] = []
    for (let i = 0; i < 20; i++) {
      saves.push(store.save('same', { position: 1, state: i }))
      saves.push(store.save(`key-${i}`, { position: i, state: i }))
    }
    await Promise.all(saves)
    // Same position: the last call wins, because sequences follow call order.
    expect((await store.load('same'))?.state).toBe(19)
    for (let i = 0; i < 20; i++) expect((await store.load(`key-${i}`))?.state).toBe(i)
    await store.close()
  })
  it('loads running alongside saves and pruning always find a snapshot at least as new as the last acknowledged', async () => {
    // Reads take a while, so saves and prunes overtake them and delete what they were about to read.
    const sim = new SimFileSystem()
    const slowReads = new Proxy(sim, {
      get(target, prop) {
        if (prop === 'readFile') {
          return async (path: string) => {
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 3))
            return target.readFile(path)
          }
        }
        const value: unknown = Reflect.get(target, prop, target)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
    const store = await SnapshotStore.open(DIR, { fs: slowReads, keep: 0 })
    await store.save('hot', { position: 0, state: 0 })
    let acked = 0
    const writer = (async () => {
      for (let p = 1; p <= 60; p++) {
        await store.save('hot', { position: p, state: p })
        acked = p
      }
    })()
    const loads: Promise<void>[] = []
    for (let i = 0; i < 120; i++) {
      const floor = acked
      loads.push(
        store.load('hot').then((got) => {
          expect(got).toBeDefined()
          expect(got!.position).toBeGreaterThanOrEqual(floor)
          expect(got!.state).toBe(got!.position)
        }),
      )
      await Promise.resolve()
    }
    await writer
    await Promise.all(loads)
    await store.close()
  })
  it('forgets idle keys beyond cachedKeys and finds them again on disk', async () => {
    const { store } = await openSim({ cachedKeys: 2, keep: 1 })
    for (let round = 1; round <= 3; round++) {
      await Promise.all(Array.from({ length: 6 }, (_, k) => store.save(`key-${k}`, { position: round, state: `${k}@${round}` })))
    }
    for (let k = 0; k < 6; k++) expect((await store.load(`key-${k}`))?.state).toBe(`${k}@3`)
    // Sequences continue after a forgotten key is listed again: the newest save still wins a tie.
    await store.save('key-0', { position: 3, state: 'again' })
    for (let k = 1; k < 6; k++) await store.load(`key-${k}`)
    expect((await store.load('key-0'))?.state).toBe('again')
    await store.close()
  })

  it('never forgets a key with queued saves: its saves stay in call order', async () => {
    const { store } = await openSim({ cachedKeys: 1, keep: 5 })
    const saves: Promise<void>[] = []
    for (let i = 0; i < 10; i++) {
      saves.push(store.save('busy', { position: 1, state: i }))
      for (let k = 0; k < 3; k++) saves.push(store.save(`other-${i}-${k}`, { position: 1, state: k }))
    }
    await Promise.all(saves)
    expect((await store.load('busy'))?.state).toBe(9)
    await store.close()
  })
})

describe('schema versions', () => {
  it('never returns a state of another shape unless upgraded', async () => {
    const { store } = await openSim({ keep: 5 })
    await store.save('agg', { position: 1, state: { v1: true }, schemaVersion: 1 })
    await store.save('agg', { position: 2, state: { v2: true }, schemaVersion: 2 })
    await store.save('agg', { position: 3, state: { v3: true }, schemaVersion: 3 })
    expect(await store.load('agg', { schemaVersion: 2 })).toMatchObject({ position: 2, state: { v2: true } })
    expect(await store.load('agg', { schemaVersion: 4 })).toBeUndefined()
    expect(await store.load('agg', { schemaVersion: 0 })).toBeUndefined()
    const upgraded = await store.load('agg', {
      schemaVersion: 4,
      upgrade: (state, from) => ({ from, state }),
    })
    expect(upgraded).toMatchObject({ position: 3, schemaVersion: 4, state: { from: 3, state: { v3: true } } })
    expect(await store.load('agg')).toMatchObject({ position: 3, schemaVersion: 3 })
    await store.close()
  })
})

describe('codecs', () => {
  it("'raw' passes bytes through and rejects anything else", async () => {
    const { store } = await openSim({ codec: 'raw' })
    const bytes = new Uint8Array([1, 2, 3, 250])
    await store.save('m', { position: 1, state: bytes })
    const got = await store.load('m')
    expect(got?.state).toBeInstanceOf(Uint8Array)
    expect(Array.from(got!.state as Uint8Array)).toEqual([1, 2, 3, 250])
    await expect(store.save('m', { position: 2, state: 'text' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await store.close()
  })

  it('jsonCodec and custom codecs round-trip; a store with another codec skips the file', async () => {
    const fs = new SimFileSystem()
    const json = await SnapshotStore.open(DIR, { fs, codec: jsonCodec })
    await json.save('j', { position: 1, state: { a: [1, 'x'] } })
    expect((await json.load('j'))?.state).toEqual({ a: [1, 'x'] })
    await json.close()
    const msgpack = await SnapshotStore.open(DIR, { fs })
    expect(await msgpack.load('j')).toBeUndefined()
    await msgpack.close()
    const upper = {
      encode: (v: unknown) => new TextEncoder().encode(String(v).toUpperCase()),
      decode: (b: Uint8Array) => new TextDecoder().decode(b),
    }
    const custom = await SnapshotStore.open(DIR, { fs, codec: upper })
    await custom.save('c', { position: 1, state: 'hello' })
    expect((await custom.load('c'))?.state).toBe('HELLO')
    await custom.close()
  })

  it('large raw states are written without concatenation and read back intact', async () => {
    const { store } = await openSim({ codec: 'raw' })
    const big = new Uint8Array(9 * 2 ** 20)
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff
    await store.save('big', { position: 1, state: big })
    const got = (await store.load('big'))!.state as Uint8Array
    expect(Buffer.compare(Buffer.from(got), Buffer.from(big))).toBe(0)
    await store.close()
  })
})

describe('bad input is rejected before anything is written', () => {
  it('rejects bad keys, positions, schema versions, states and options', async () => {
    const { fs, store } = await openSim({ maxStateBytes: 100 })
    const before = fs.opCount
    const bad: [string, unknown][] = [
      ['', { position: 1, state: 1 }],
      ['x'.repeat(121), { position: 1, state: 1 }],
      ['\ud800', { position: 1, state: 1 }],
      ['k', { position: -1, state: 1 }],
      ['k', { position: 1.5, state: 1 }],
      ['k', { position: 2 ** 53, state: 1 }],
      ['k', { position: '1', state: 1 }],
      ['k', { position: 1, state: 1, schemaVersion: -1 }],
      ['k', { position: 1, state: 1, schemaVersion: 2 ** 32 }],
      ['k', { position: 1, state: undefined }],
      ['k', { position: 1, state: () => 1 }],
      ['k', { position: 1, state: 'x'.repeat(200) }],
      ['k', null],
    ]
    for (const [key, input] of bad) {
      await expect(store.save(key, input as never)).rejects.toBeInstanceOf(InvalidArgumentError)
    }
    await expect(store.load('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.load('k', { maxPosition: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.load(42 as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(fs.opCount).toBe(before)
    await store.close()
    for (const options of [{ keep: -1 }, { keep: 1.5 }, { keep: 1001 }, { maxStateBytes: -1 }, { codec: 'json' }, { onCorrupt: 1 }, { cachedKeys: 0 }]) {
      await expect(SnapshotStore.open(DIR, { fs, ...(options as object) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })
})

describe('lifecycle', () => {
  it('close is idempotent, waits for saves, and later calls reject with CLOSED', async () => {
    const { store } = await openSim()
    const pending = store.save('k', { position: 1, state: 1 })
    const closing = store.close()
    await pending
    await closing
    await store.close()
    await expect(store.save('k', { position: 2, state: 2 })).rejects.toBeInstanceOf(ClosedError)
    await expect(store.load('k')).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(store.delete('k')).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('a second opener gets LOCKED; after close the directory can be reopened', async () => {
    const fs = new SimFileSystem()
    const first = await SnapshotStore.open(DIR, { fs })
    await expect(SnapshotStore.open(DIR, { fs })).rejects.toBeInstanceOf(LockedError)
    await first.close()
    await using second = await SnapshotStore.open(DIR, { fs })
    expect(await second.load('k')).toBeUndefined()
  })

  it('a failed sync poisons the store until reopened', async () => {
    const { fs, store } = await openSim()
    await store.save('k', { position: 1, state: 'one' })
    fs.injectFault({ op: 'sync', error: 'EIO' })
    await expect(store.save('k', { position: 2, state: 'two' })).rejects.toBeInstanceOf(PoisonedError)
    await expect(store.save('other', { position: 1, state: 1 })).rejects.toMatchObject({ code: 'POISONED' })
    expect((await store.load('k'))?.state).toBe('one')
    await store.close()
    const again = await SnapshotStore.open(DIR, { fs })
    await again.save('k', { position: 3, state: 'three' })
    expect((await again.load('k'))?.state).toBe('three')
    await again.close()
  })

  it('a failed rename rejects that save only; a failed directory sync poisons', async () => {
    const { fs, store } = await openSim()
    await store.save('k', { position: 1, state: 'one' })
    fs.injectFault({ op: 'rename', error: 'EIO' })
    await expect(store.save('k', { position: 2, state: 'two' })).rejects.toMatchObject({ code: 'WRITE_FAILED', errno: 'EIO' })
    expect((await snapFiles(fs, 'k')).filter((n) => n.endsWith('.tmp'))).toEqual([])
    await store.save('k', { position: 3, state: 'three' })
    expect((await store.load('k'))?.state).toBe('three')
    fs.injectFault({ op: 'syncDir', error: 'EIO' })
    await expect(store.save('k', { position: 4, state: 'four' })).rejects.toMatchObject({ code: 'POISONED', cause: { code: 'EIO' } })
    await expect(store.delete('k')).rejects.toMatchObject({ code: 'POISONED' })
    await store.close()
  })

  it('a failed write rejects that save only and leaves no temp file', async () => {
    const { fs, store } = await openSim()
    fs.injectFault({ op: 'write', error: 'ENOSPC', partial: true })
    await expect(store.save('k', { position: 1, state: 'x'.repeat(2000) })).rejects.toMatchObject({ code: 'WRITE_FAILED', errno: 'ENOSPC' })
    await store.save('k', { position: 2, state: 'ok' })
    expect((await store.load('k'))?.state).toBe('ok')
    expect((await snapFiles(fs, 'k')).filter((n) => n.endsWith('.tmp'))).toEqual([])
    await store.close()
  })
})

describe('damaged files', () => {
  it('skips a damaged newest snapshot, reports it, and uses the next older one', async () => {
    const reports: CorruptionReport[] = []
    const fs = new SimFileSystem()
    const store = await SnapshotStore.open(DIR, { fs, onCorrupt: (r) => reports.push(r) })
    await store.save('k', { position: 1, state: 'one' })
    await store.save('k', { position: 2, state: 'two' })
    const [older, newest] = await snapFiles(fs, 'k')
    fs.corruptByte(join(DIR, 'k-6b', newest!), 50)
    expect((await store.load('k'))?.state).toBe('one')
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ key: 'k', file: join(DIR, 'k-6b', newest!), reason: 'checksum mismatch' })
    expect(reports[0]!.error.code).toBe('CORRUPT')
    fs.corruptByte(join(DIR, 'k-6b', older!), 0)
    expect(await store.load('k')).toBeUndefined()
    expect(reports.map((r) => r.reason)).toEqual(['checksum mismatch', 'checksum mismatch', 'bad magic'])
    await store.close()
  })

  it('a file moved under another key or position is rejected', async () => {
    const reports: string[] = []
    const fs = new SimFileSystem()
    const store = await SnapshotStore.open(DIR, { fs })
    await store.save('a', { position: 1, state: 'a' })
    await store.save('b', { position: 1, state: 'b' })
    await store.close()
    // Tampering happens while no store is open: an open store is the directory's only writer.
    const [name] = await snapFiles(fs, 'a')
    const stolen = await fs.readFile(join(DIR, 'k-61', name!))
    await fs.writeFile(join(DIR, 'k-62', '0000000000000002-0000000000000000.snap'), stolen)
    let reopened = await SnapshotStore.open(DIR, { fs, onCorrupt: (r) => reports.push(r.reason) })
    expect((await reopened.load('b'))?.state).toBe('b')
    await reopened.close()
    const [own] = await snapFiles(fs, 'b')
    await fs.rename(join(DIR, 'k-62', own!), join(DIR, 'k-62', '0000000000000003-0000000000000009.snap'))
    reopened = await SnapshotStore.open(DIR, { fs, onCorrupt: (r) => reports.push(r.reason) })
    expect(await reopened.load('b')).toBeUndefined()
    expect(reports).toEqual([
      'key does not match its directory',
      'position 1 does not match the file name (3)',
      'key does not match its directory',
    ])
    await reopened.close()
  })

  it('a snapshot load found damaged is not kept by pruning in place of a valid one (regression)', async () => {
    const fs = new SimFileSystem()
    const store = await SnapshotStore.open(DIR, { fs, keep: 1 })
    await store.save('k', { position: 1, state: { p: 1 } })
    await store.save('k', { position: 2, state: { p: 2 } })
    fs.corruptByte(join(DIR, 'k-6b', '0000000000000002-0000000000000001.snap'), 20)
    expect((await store.load('k'))?.position).toBe(1)
    await store.save('k', { position: 3, state: { p: 3 } })
    await store.close()
    fs.corruptByte(join(DIR, 'k-6b', '0000000000000003-0000000000000002.snap'), 20)
    const reopened = await SnapshotStore.open(DIR, { fs, keep: 1 })
    expect((await reopened.load('k'))?.position).toBe(1)
    await reopened.close()
  })
})

describe('real file system', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('saves, prunes and reloads on disk', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quire-snapshots-'))
    const store = await SnapshotStore.open(dir, { fs: new NodeFileSystem(), keep: 1 })
    for (let p = 1; p <= 4; p++) await store.save('stream-1', { position: p, state: { p } })
    await store.close()
    const keyDir = join(dir, `k-${Buffer.from('stream-1').toString('hex')}`)
    expect((await readdir(keyDir)).sort()).toEqual(['0000000000000003-0000000000000002.snap', '0000000000000004-0000000000000003.snap'])
    const again = await SnapshotStore.open(dir)
    expect(await again.load('stream-1')).toMatchObject({ position: 4, state: { p: 4 } })
    await again.close()
  })
})
