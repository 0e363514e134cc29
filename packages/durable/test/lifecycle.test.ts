import { describe, expect, it } from 'vitest'
import { acquireLock, type DirLock } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { Poison, StoreState, openStore } from '../src/index.js'

describe('openStore', () => {
  it('creates the directory durably, locks it, recovers, constructs; a second open is LOCKED', async () => {
    const fs = new SimFileSystem()
    const order: string[] = []
    const store = await openStore({
      fs,
      dir: '/a/b/store',
      recover: async () => {
        order.push('recover')
        return 41
      },
      construct: (n, lock) => {
        order.push('construct')
        return { n: n + 1, lock }
      },
    })
    expect(store.n).toBe(42)
    expect(order).toEqual(['recover', 'construct'])
    // Durable: the directory survives a power loss right after open.
    expect(await fs.crash(1).exists('/a/b/store')).toBe(true)
    await expect(openStore({ fs, dir: '/a/b/store', recover: async () => 0, construct: () => 0 })).rejects.toMatchObject({ code: 'LOCKED' })
    await store.lock.release()
  })

  it('a failed recover leaves the disk as it found it and releases the lock', async () => {
    const fs = new SimFileSystem()
    const boom = new Error('boom')
    await expect(
      openStore({
        fs,
        dir: '/a/store',
        recover: async () => {
          throw boom
        },
        construct: () => 0,
      }),
    ).rejects.toBe(boom)
    expect(await fs.exists('/a')).toBe(false)
    await fs.mkdir('/b')
    await expect(openStore({ fs, dir: '/b', recover: async () => Promise.reject(boom), construct: () => 0 })).rejects.toBe(boom)
    // The lock was released: taking it again works.
    const lock: DirLock = await acquireLock(fs, '/b')
    await lock.release()
  })

  it('a failed construct discards what recover opened', async () => {
    const fs = new SimFileSystem()
    const discarded: number[] = []
    await expect(
      openStore({
        fs,
        dir: '/s',
        recover: async () => 7,
        construct: () => {
          throw new Error('no')
        },
        discard: async (n) => void discarded.push(n),
      }),
    ).rejects.toThrow('no')
    expect(discarded).toEqual([7])
  })
})

describe('StoreState', () => {
  it('closes once: later calls return the same promise, closed is true from the first call', async () => {
    let runs = 0
    const state = new StoreState({
      onClose: async () => {
        runs++
        await Promise.resolve()
      },
    })
    expect(state.closed).toBe(false)
    const first = state.close()
    expect(state.closed).toBe(true)
    expect(state.close()).toBe(first)
    await first
    await state[Symbol.asyncDispose]()
    expect(runs).toBe(1)
    expect(() => state.assertOpen()).toThrow(expect.objectContaining({ code: 'CLOSED' }) as Error)
  })

  it('a failing close rejects every time with the same error', async () => {
    const state = new StoreState({ onClose: () => Promise.reject(new Error('sync failed')) })
    await expect(state.close()).rejects.toThrow('sync failed')
    await expect(state.close()).rejects.toThrow('sync failed')
  })

  it('assertWritable: CLOSED before READ_ONLY before POISONED; the first poison cause is kept', async () => {
    const poison = new Poison()
    const state = new StoreState({ onClose: async () => undefined, poison })
    expect(() => state.assertWritable('x')).not.toThrow()
    const first = new Error('first')
    const e1 = poison.poison(first)
    const e2 = poison.poison(new Error('second'))
    expect(e2).toBe(e1)
    expect(e1).toMatchObject({ code: 'POISONED', cause: first })
    expect(() => state.assertWritable('x')).toThrow(e1)
    expect(() => state.assertOpen()).not.toThrow()
    const ro = new StoreState({ onClose: async () => undefined, readOnly: true, poison })
    expect(() => ro.assertWritable('Thing.put')).toThrow(expect.objectContaining({ code: 'READ_ONLY' }) as Error)
    await ro.close()
    expect(() => ro.assertWritable('Thing.put')).toThrow(expect.objectContaining({ code: 'CLOSED' }) as Error)
  })

  it('custom errors', () => {
    class Closed extends Error {}
    const state = new StoreState({ onClose: async () => undefined, errors: { closed: () => new Closed('c') } })
    void state.close()
    expect(() => state.assertOpen()).toThrow(Closed)
  })
})
