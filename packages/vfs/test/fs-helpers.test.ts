import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '../src/sim/index.js'
import { KeyedMutex, Mutex, mapLimit, readSmallFile, unlinkIfPresent } from '../src/index.js'

describe('unlinkIfPresent', () => {
  it('removes a file, and is fine when it is already gone', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir('/d')
    await fs.writeFile('/d/f', new Uint8Array([1]))
    await unlinkIfPresent(fs, '/d/f')
    expect(await fs.exists('/d/f')).toBe(false)
    await expect(unlinkIfPresent(fs, '/d/f')).resolves.toBeUndefined()
  })
  it('throws any other failure', async () => {
    const fs = new SimFileSystem()
    await fs.mkdir('/d')
    await fs.writeFile('/d/f', new Uint8Array([1]))
    fs.injectFault({ op: 'unlink', error: 'EIO' })
    await expect(unlinkIfPresent(fs, '/d/f')).rejects.toMatchObject({ code: 'EIO' })
  })
})

describe('readSmallFile', () => {
  it.each([0, 1, 8191, 8192, 8193, 40_000])('reads a file of %i bytes whole', async (size) => {
    const fs = new SimFileSystem()
    await fs.mkdir('/d')
    const data = Uint8Array.from({ length: size }, (_, i) => i % 251)
    await fs.writeFile('/d/f', data)
    expect(await readSmallFile(fs, '/d/f')).toEqual(data)
  })
  it('throws ENOENT for a missing file', async () => {
    await expect(readSmallFile(new SimFileSystem(), '/nope')).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('mapLimit', () => {
  it('keeps the order and never runs more than the limit at once', async () => {
    let running = 0
    let most = 0
    const out = await mapLimit([5, 4, 3, 2, 1, 0], 2, async (n, i) => {
      running++
      most = Math.max(most, running)
      for (let t = 0; t < n; t++) await Promise.resolve()
      running--
      return n * 10 + i
    })
    expect(out).toEqual([50, 41, 32, 23, 14, 5])
    expect(most).toBe(2)
  })
  it('rejects with the first failure', async () => {
    await expect(mapLimit([1, 2, 3], 2, async (n) => (n === 2 ? Promise.reject(new Error('two')) : n))).rejects.toThrow('two')
  })
  it('maps an empty list', async () => {
    expect(await mapLimit([], 4, async (n: number) => n)).toEqual([])
  })
})

describe('Mutex and KeyedMutex', () => {
  it('runs calls one after the other, in order, also after a rejection', async () => {
    const m = new Mutex()
    const log: string[] = []
    const step = (name: string, fail = false) => async (): Promise<string> => {
      log.push(`start ${name}`)
      await Promise.resolve()
      log.push(`end ${name}`)
      if (fail) throw new Error(name)
      return name
    }
    const results = await Promise.allSettled([m.run(step('a')), m.run(step('b', true)), m.run(step('c'))])
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })
  it('serialises per key, runs keys concurrently, and idle waits for all', async () => {
    const m = new KeyedMutex()
    const log: string[] = []
    const step = (name: string) => async (): Promise<void> => {
      log.push(`start ${name}`)
      await Promise.resolve()
      await Promise.resolve()
      log.push(`end ${name}`)
    }
    void m.run('x', step('x1'))
    void m.run('x', step('x2'))
    void m.run('y', step('y1'))
    await m.idle()
    expect(log.indexOf('end x1')).toBeLessThan(log.indexOf('start x2'))
    expect(log.indexOf('start y1')).toBeLessThan(log.indexOf('end x1'))
    expect(log).toHaveLength(6)
  })
})
