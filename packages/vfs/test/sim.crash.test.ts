import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ensureDir, writeFileAtomic } from '@quire/vfs'
import { SimFileSystem, SimHaltedError } from '@quire/vfs/sim'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const bytesOf = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)
const runs = Number(process.env.QUIRE_PROPERTY_RUNS ?? 100)

async function readOrUndefined(fs: SimFileSystem, path: string): Promise<Uint8Array | undefined> {
  return (await fs.exists(path)) ? fs.readFile(path) : undefined
}

describe('crash model, clause 1: file data', () => {
  it('what was synced (with its name) survives every crash image', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    await h.write(bytesOf(1500, 7), 0)
    await h.sync()
    await sim.syncDir('/')
    await h.write(bytesOf(700, 9), 1500) // unsynced: may go
    const images = sim.crashImages()
    expect(images.length).toBeGreaterThan(1)
    for (const image of images) {
      const content = await image.readFile('/f')
      expect(content.subarray(0, 1500)).toEqual(bytesOf(1500, 7))
    }
  })

  it('unsynced appends leave a prefix, torn at sectors or zero-filled, never other bytes (default mode)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 1300 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer(),
        async (sizes, syncAfter, seed) => {
          const sim = new SimFileSystem()
          const h = await sim.open('/log', 'a')
          await sim.syncDir('/')
          const written: number[] = []
          let syncedLength = 0
          for (const [i, size] of sizes.entries()) {
            const fill = (i % 250) + 1
            await h.write(bytesOf(size, fill))
            for (let j = 0; j < size; j++) written.push(fill)
            if (i === syncAfter) {
              await h.sync()
              syncedLength = written.length
            }
          }
          const image = sim.crash(seed)
          const content = await image.readFile('/log')
          expect(content.length).toBeGreaterThanOrEqual(syncedLength)
          expect(content.length).toBeLessThanOrEqual(written.length)
          for (let i = 0; i < content.length; i++) {
            if (i < syncedLength) expect(content[i]).toBe(written[i])
            else if (content[i] !== 0) expect(content[i]).toBe(written[i])
          }
        },
      ),
      { numRuns: runs },
    )
  })

  it('shows every kind of loss: nothing, a sector-torn write, a zero-filled extension', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    await sim.syncDir('/')
    await h.sync()
    await h.write(bytesOf(1024, 5), 0)
    const lengths = new Set<string>()
    for (const image of sim.crashImages()) {
      const c = await image.readFile('/f')
      lengths.add(`${c.length}:${c.every((b) => b === 5) ? 'data' : c.every((b) => b === 0) ? 'zeros' : 'mixed'}`)
    }
    expect([...lengths].sort()).toEqual(['0:data', '1024:data', '1024:zeros', '512:data'])
  })

  it('pessimistic mode: lost sectors may come back as garbage', async () => {
    let sawGarbage = false
    for (let seed = 0; seed < 200 && !sawGarbage; seed++) {
      const sim = new SimFileSystem({ pessimistic: true })
      const h = await sim.open('/f', 'w')
      await sim.syncDir('/')
      await h.write(bytesOf(2048, 5), 0)
      const c = await sim.crash(seed).readFile('/f')
      sawGarbage = c.some((b) => b !== 0 && b !== 5)
    }
    expect(sawGarbage).toBe(true)
  })

  it('overwrites in place may tear: old and new sectors mixed', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    await h.write(bytesOf(1024, 1), 0)
    await h.sync()
    await sim.syncDir('/')
    await h.write(bytesOf(1024, 2), 0)
    const seen = new Set<string>()
    for (const image of sim.crashImages()) {
      const c = await image.readFile('/f')
      seen.add(`${c[0]}${c[1023]}`)
    }
    expect(seen).toEqual(new Set(['11', '21', '22']))
  })
})

describe('crash model: handles opened with dsync (O_DSYNC)', () => {
  it('a write that resolved survives every crash image; a crash between its write and its sync may lose it', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w', { dsync: true })
    expect(h.dsync).toBe(true)
    await sim.syncDir('/')
    await h.write(bytesOf(1500, 7), 0)
    for (const image of sim.crashImages()) expect(await image.readFile('/f')).toEqual(bytesOf(1500, 7))
    sim.haltAfter(1) // the write happens, its sync does not
    await expect(h.write(bytesOf(100, 9), 1500)).rejects.toBeInstanceOf(SimHaltedError)
    const lengths = new Set<number>()
    for (const image of sim.crashImages()) {
      const content = await image.readFile('/f')
      expect(content.subarray(0, 1500)).toEqual(bytesOf(1500, 7))
      lengths.add(content.length)
    }
    expect(lengths.has(1500) && lengths.has(1600)).toBe(true)
  })

  it('a failed sync fails the write (EIO) and drops its data, as a failed fdatasync does', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w', { dsync: true })
    await sim.syncDir('/')
    await h.write(bytesOf(10, 1), 0)
    sim.injectFault({ op: 'sync', error: 'EIO' })
    await expect(h.write(bytesOf(10, 2), 10)).rejects.toMatchObject({ code: 'EIO' })
    for (const image of sim.crashImages()) expect(await image.readFile('/f')).toEqual(bytesOf(10, 1))
    sim.injectFault({ op: 'write', error: 'ENOSPC' })
    await expect(h.write(bytesOf(10, 3), 10)).rejects.toMatchObject({ code: 'ENOSPC' })
  })

  it('a read-only handle never claims dsync', async () => {
    const sim = new SimFileSystem()
    await sim.writeFile('/f', enc('x'))
    expect((await sim.open('/f', 'r', { dsync: true })).dsync).toBe(false)
    expect((await sim.open('/f', 'r+')).dsync).toBe(false)
  })
})

describe('crash model, clause 2: directory entries', () => {
  it("a new file's name needs syncDir: sync of the file alone is not enough", async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    await h.write(enc('x'), 0)
    await h.sync()
    const names = new Set<string>()
    for (const image of sim.crashImages()) names.add((await image.readdir('/')).join(','))
    expect(names).toEqual(new Set(['', 'f']))
    await sim.syncDir('/')
    for (const image of sim.crashImages()) expect(await image.readdir('/')).toEqual(['f'])
  })

  it('directory changes are lost as a prefix, in order', async () => {
    const sim = new SimFileSystem()
    for (const name of ['a', 'b', 'c']) await sim.writeFile(`/${name}`, enc(name))
    const seen = new Set<string>()
    for (const image of sim.crashImages()) seen.add((await image.readdir('/')).join(''))
    expect(seen).toEqual(new Set(['', 'a', 'ab', 'abc']))
  })

  it('a directory lost in a crash takes its contents with it', async () => {
    const sim = new SimFileSystem()
    await sim.mkdir('/d')
    await sim.writeFile('/d/f', enc('x'))
    await sim.syncDir('/d')
    const seen = new Set<string>()
    for (const image of sim.crashImages()) seen.add(String(await image.exists('/d/f')))
    expect(seen).toEqual(new Set(['true', 'false']))
  })

  it('rename is atomic: after writeFileAtomic an image holds the old content or the new, never neither', async () => {
    const sim = new SimFileSystem()
    await writeFileAtomic(sim, '/state', enc('old'))
    const h = await sim.open('/state.123456789abc.tmp', 'wx')
    await h.write(enc('new'), 0)
    await h.sync()
    await h.close()
    await sim.rename('/state.123456789abc.tmp', '/state')
    const seen = new Set<string>()
    for (const image of sim.crashImages()) seen.add(new TextDecoder().decode(await image.readFile('/state')))
    expect(seen).toEqual(new Set(['old', 'new']))
  })

  it('a rename across directories is all or nothing', async () => {
    const sim = new SimFileSystem()
    await sim.mkdir('/a')
    await sim.mkdir('/b')
    await sim.writeFile('/a/f', enc('x'))
    await sim.syncDir('/a')
    await sim.syncDir('/b')
    await sim.syncDir('/')
    await sim.rename('/a/f', '/b/f')
    const seen = new Set<string>()
    for (const image of sim.crashImages()) {
      seen.add(`${String(await image.exists('/a/f'))},${String(await image.exists('/b/f'))}`)
    }
    expect(seen).toEqual(new Set(['true,false', 'false,true']))
  })
})

describe('crash model, clause 3: a failed sync', () => {
  it('drops the dirty data it covered; a later successful sync does not bring it back', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    await sim.syncDir('/')
    await h.write(bytesOf(10, 1), 0)
    sim.injectFault({ op: 'sync', error: 'EIO' })
    await expect(h.sync()).rejects.toMatchObject({ code: 'EIO' })
    await h.write(bytesOf(10, 2), 10)
    await h.sync()
    for (const image of sim.crashImages()) {
      const c = await image.readFile('/f')
      expect([...c.subarray(0, 10)]).toEqual(new Array(10).fill(0))
      expect([...c.subarray(10)]).toEqual(new Array(10).fill(2))
    }
  })
})

describe('crash model, clause 4: ENOSPC and EIO on writes', () => {
  it('a partial write leaves a prefix of the data and rejects', async () => {
    const sim = new SimFileSystem({ seed: 3 })
    const h = await sim.open('/f', 'w')
    sim.injectFault({ op: 'write', error: 'ENOSPC', partial: true })
    await expect(h.write(bytesOf(1000, 4), 0)).rejects.toMatchObject({ code: 'ENOSPC' })
    const size = await h.size()
    expect(size).toBeLessThan(1000)
    expect((await sim.readFile('/f')).every((b) => b === 4)).toBe(true)
  })

  it('faults fire on the nth matching operation and path, once unless sticky', async () => {
    const sim = new SimFileSystem()
    const a = await sim.open('/a', 'w')
    const b = await sim.open('/b', 'w')
    sim.injectFault({ op: 'write', path: '/b', nth: 2, error: 'EIO' })
    await a.write(enc('1'))
    await b.write(enc('1'))
    await a.write(enc('2'))
    await expect(b.write(enc('2'))).rejects.toMatchObject({ code: 'EIO' })
    await b.write(enc('3'))
    const sticky = sim.injectFault({ op: 'rename', path: /^\/a$/, error: 'EIO', sticky: true })
    await expect(sim.rename('/a', '/x')).rejects.toMatchObject({ code: 'EIO' })
    await expect(sim.rename('/a', '/x')).rejects.toMatchObject({ code: 'EIO' })
    sticky.remove()
    await sim.rename('/a', '/x')
  })
})

describe('simulator mechanics', () => {
  it('is deterministic: the same seed gives the same image', async () => {
    const make = async (): Promise<SimFileSystem> => {
      const sim = new SimFileSystem({ pessimistic: true })
      const h = await sim.open('/f', 'a')
      for (let i = 0; i < 20; i++) await h.write(bytesOf(300, i + 1))
      return sim
    }
    const [x, y] = [await make(), await make()]
    for (const seed of [1, 2, 3, 99]) {
      expect(await readOrUndefined(x.crash(seed), '/f')).toEqual(await readOrUndefined(y.crash(seed), '/f'))
    }
  })

  it('haltAfter: later operations reject and change nothing', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    sim.haltAfter(1)
    await h.write(enc('a'), 0)
    await expect(h.write(enc('b'), 1)).rejects.toBeInstanceOf(SimHaltedError)
    await expect(sim.syncDir('/')).rejects.toMatchObject({ code: 'EHALTED' })
    expect(sim.halted).toBe(true)
    expect(new TextDecoder().decode(sim.clone().readFile ? await sim.clone().readFile('/f') : enc(''))).toBe('a')
  })

  it('counts operations', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    await h.write(enc('abc'), 0)
    await h.sync()
    await sim.syncDir('/')
    expect(sim.stats).toMatchObject({ opens: 1, writes: 1, bytesWritten: 3, syncs: 1, syncDirs: 1 })
    sim.resetStats()
    expect(sim.stats.writes).toBe(0)
  })

  it('old handles do not touch a crash image', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    await h.sync()
    await sim.syncDir('/')
    const image = sim.crash(1)
    await h.write(enc('late'), 0)
    expect((await image.readFile('/f')).length).toBe(0)
  })

  it('corruptByte damages content durably', async () => {
    const sim = new SimFileSystem()
    await writeFileAtomic(sim, '/f', enc('abc'))
    sim.corruptByte('/f', 1, 0x01)
    expect(new TextDecoder().decode(await sim.crash(5).readFile('/f'))).toBe('acc')
  })
})

describe('a process kill, then a power loss', () => {
  it('killProcess keeps what the OS had; a later crash can still lose what was never synced', async () => {
    const sim = new SimFileSystem()
    const h = await sim.open('/f', 'w')
    await h.write(enc('synced'), 0)
    await h.sync()
    await sim.syncDir('/')
    await h.write(enc('+pending'), 6)
    const next = sim.killProcess()
    await expect(h.write(enc('x'), 0)).rejects.toBeInstanceOf(SimHaltedError)
    expect(new TextDecoder().decode(await next.readFile('/f'))).toBe('synced+pending')
    const seen = new Set<string>()
    for (const image of next.crashImages()) seen.add(new TextDecoder().decode(await image.readFile('/f')))
    expect(seen.has('synced')).toBe(true)
    expect(seen.has('synced+pending')).toBe(true)
    // the next process syncs what it found: now it survives every power loss
    const again = await next.open('/f', 'r+')
    await again.sync()
    for (const image of next.crashImages()) {
      expect(new TextDecoder().decode(await image.readFile('/f'))).toBe('synced+pending')
    }
  })
})

describe('ensureDir after a process kill', () => {
  it('with syncExisting, directories a killed process left undurable become durable', async () => {
    const sim = new SimFileSystem()
    await sim.mkdir('/a/b/c', { recursive: true })
    const next = sim.killProcess()
    await ensureDir(next, '/a/b/c')
    expect(new Set(await Promise.all(next.crashImages().map((i) => i.exists('/a/b/c'))))).toEqual(new Set([true, false]))
    await ensureDir(next, '/a/b/c', { syncExisting: true })
    for (const image of next.crashImages()) expect(await image.exists('/a/b/c')).toBe(true)
  })
})

describe('symlinks and hard links are directory entries like any other', () => {
  it('survive every crash once their directory is synced; before that each may be lost, the file never', async () => {
    const sim = new SimFileSystem()
    await sim.mkdir('/d')
    await sim.writeFile('/d/f', new TextEncoder().encode('data'))
    const h = await sim.open('/d/f', 'r+')
    await h.sync()
    await h.close()
    await sim.syncDir('/d')
    await sim.syncDir('/')
    await sim.symlink('/d', '/alias')
    await sim.link('/d/f', '/d/g')
    const unsynced = sim.crashImages()
    expect(unsynced.length).toBeGreaterThan(1)
    for (const image of unsynced) {
      expect(new TextDecoder().decode(await image.readFile('/d/f'))).toBe('data')
      const g = await image.exists('/d/g')
      expect((await image.stat('/d/f')).links).toBe(g ? 2 : 1)
      if (await image.exists('/alias')) expect((await image.stat('/alias')).identity).toBe((await image.stat('/d')).identity)
    }
    await sim.syncDir('/')
    await sim.syncDir('/d')
    for (const image of sim.crashImages()) {
      expect((await image.stat('/alias')).identity).toBe((await image.stat('/d')).identity)
      expect((await image.stat('/d/g')).identity).toBe((await image.stat('/d/f')).identity)
      expect((await image.stat('/d/g')).links).toBe(2)
    }
  })
})

describe('a disk of limited size (capacityBytes)', () => {
  it('a write past the capacity keeps the prefix that fits and fails with ENOSPC; freeing space lets it through', async () => {
    const sim = new SimFileSystem({ capacityBytes: 100 })
    await sim.writeFile('/a', new Uint8Array(60))
    const h = await sim.open('/b', 'w')
    await expect(h.write(new Uint8Array(50).fill(1), 0)).rejects.toMatchObject({ code: 'ENOSPC' })
    expect(await h.size()).toBe(40)
    await expect(h.truncate(41)).rejects.toMatchObject({ code: 'ENOSPC' })
    await h.write(new Uint8Array(10).fill(2), 20) // overwriting inside the file needs no room
    await sim.unlink('/a')
    await h.write(new Uint8Array(50).fill(3), 40)
    expect(sim.usedBytes()).toBe(90)
    await h.close()
  })
})
