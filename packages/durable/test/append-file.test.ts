import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { DurableAppendFile } from '../src/index.js'
import { bytes, simAppendFile, text } from './support/sim-append-file.js'

const fresh = simAppendFile

describe('DurableAppendFile', () => {
  it('appends at the end; a synced append survives a crash, end and syncedEnd follow', async () => {
    const { fs, file } = await fresh()
    await file.append(bytes('ab'), { sync: true })
    expect([file.end, file.syncedEnd]).toEqual([5, 5])
    await file.append(bytes('cd'))
    expect([file.end, file.syncedEnd]).toEqual([7, 5])
    expect(text(await fs.crash(3, { pessimistic: true }).readFile('/d/log')).slice(0, 5)).toBe('HDRab')
    await file.sync()
    expect(file.syncedEnd).toBe(7)
    expect(text(await fs.crash(4, { pessimistic: true }).readFile('/d/log'))).toBe('HDRabcd')
  })

  it('a failed write is rolled back durably and throws WRITE_FAILED; the next append works', async () => {
    const { fs, file, poison } = await fresh()
    await file.append(bytes('ab'), { sync: true })
    fs.injectFault({ op: 'write', path: '/d/log', error: 'ENOSPC', partial: true })
    await expect(file.append(bytes('xxxxxxxx'), { sync: true })).rejects.toMatchObject({ code: 'WRITE_FAILED', errno: 'ENOSPC' })
    expect(poison.poisoned).toBe(false)
    expect(text(await fs.readFile('/d/log'))).toBe('HDRab')
    expect(text(await fs.crash(1, { pessimistic: true }).readFile('/d/log'))).toBe('HDRab')
    await file.append(bytes('cd'), { sync: true })
    expect(text(await fs.readFile('/d/log'))).toBe('HDRabcd')
  })

  it('a failed write whose rollback fails too poisons', async () => {
    const { fs, file, poison } = await fresh()
    fs.injectFault({ op: 'write', path: '/d/log', error: 'EIO' })
    fs.injectFault({ op: 'truncate', path: '/d/log', error: 'EIO' })
    const cause = await file.append(bytes('x')).catch((e: unknown) => e)
    expect(cause).toMatchObject({ code: 'POISONED' })
    expect(poison.error).toBe(cause)
    await expect(file.append(bytes('y'))).rejects.toBe(cause)
  })

  it('a failed sync poisons and cuts the file back to what the disk holds', async () => {
    const { fs, file, poison } = await fresh()
    await file.append(bytes('ab'), { sync: true })
    await file.append(bytes('cd'))
    fs.injectFault({ op: 'sync', path: '/d/log', error: 'EIO' })
    const err = await file.append(bytes('ef'), { sync: true }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'POISONED' })
    expect((err as Error).cause).toMatchObject({ code: 'EIO' })
    expect(poison.error).toBe(err)
    // In this process too, the file holds only what a sync acknowledged.
    expect(text(await fs.readFile('/d/log'))).toBe('HDRab')
    expect([file.end, file.syncedEnd]).toEqual([5, 5])
    await expect(file.append(bytes('gh'))).rejects.toBe(err)
    await expect(file.sync()).rejects.toBe(err)
  })

  it('runs one sync at a time: a sync queued behind a failed one does not succeed', async () => {
    const { fs, file } = await fresh()
    await file.append(bytes('ab'))
    fs.injectFault({ op: 'sync', path: '/d/log', error: 'EIO' })
    const [a, b] = await Promise.allSettled([file.sync(), file.sync()])
    expect(a).toMatchObject({ status: 'rejected', reason: { code: 'POISONED' } })
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'POISONED' } })
  })

  it('advance: bytes past it (a pad) are written, not acknowledged; seal trims them and syncs', async () => {
    const { fs, file } = await fresh()
    await file.append(bytes('ab    \n'), { advance: 2, sync: true })
    expect([file.end, file.fileEnd]).toEqual([5, 10])
    await file.append(bytes('cd'), { advance: 2 })
    expect(text(await fs.readFile('/d/log'))).toBe('HDRabcd  \n')
    await file.seal()
    expect([file.end, file.fileEnd, file.syncedEnd]).toEqual([7, 7, 7])
    expect(text(await fs.crash(2, { pessimistic: true }).readFile('/d/log'))).toBe('HDRabcd')
  })

  it('preallocate: the file grows by free space (zeros) once, later appends overwrite it; seal cuts it', async () => {
    const { fs, file } = await fresh({ preallocate: 16, maxFileEnd: 40 })
    await file.append(bytes('ab'), { sync: true })
    expect([file.end, file.fileEnd, file.syncedEnd]).toEqual([5, 21, 5])
    expect(await fs.readFile('/d/log')).toEqual(new Uint8Array([...bytes('HDRab'), ...new Uint8Array(16)]))
    await file.append(bytes('cdefghijklmnop'), { sync: true }) // ends at 19: inside the free space
    expect(file.fileEnd).toBe(21)
    await file.append(bytes('qrstuvwxyz'), { sync: true }) // past it: grows, but never past maxFileEnd
    expect([file.end, file.fileEnd]).toEqual([29, 40])
    await file.append(bytes('0123456789AB'), { sync: true }) // an append itself may pass maxFileEnd
    expect([file.end, file.fileEnd]).toEqual([41, 41])
    expect(text((await fs.crash(1, { pessimistic: true }).readFile('/d/log')).subarray(0, 41))).toBe('HDRabcdefghijklmnopqrstuvwxyz0123456789AB')
    const g = await fresh({ preallocate: 16 })
    await g.file.append(bytes('ab'), { sync: true })
    await g.file.seal()
    expect([g.file.end, g.file.fileEnd, g.file.syncedEnd]).toEqual([5, 5, 5])
    expect(text(await g.fs.crash(2, { pessimistic: true }).readFile('/d/log'))).toBe('HDRab')
  })

  it('dsync: a synced append is one write, durable when it resolves', async () => {
    const { fs, file } = await fresh({ dsync: true })
    const before = fs.stats.syncs
    await file.append(bytes('ab'), { sync: true })
    expect([file.end, file.syncedEnd]).toEqual([5, 5])
    expect(fs.stats.syncs - before).toBe(1) // the sim counts a dsync write's sync; no separate call
    expect(text(await fs.crash(3, { pessimistic: true }).readFile('/d/log'))).toBe('HDRab')
  })

  it('dsync: a write failing with EIO may be a failed sync: poison and cut back; ENOSPC rolls back', async () => {
    const { fs, file, poison } = await fresh({ dsync: true, preallocate: 8 })
    await file.append(bytes('ab'), { sync: true })
    fs.injectFault({ op: 'write', path: '/d/log', error: 'ENOSPC', partial: true })
    await expect(file.append(bytes('xxxxxxxxxxxx'), { sync: true })).rejects.toMatchObject({ code: 'WRITE_FAILED' })
    expect(poison.poisoned).toBe(false)
    await file.append(bytes('cd'), { sync: true })
    fs.injectFault({ op: 'sync', path: '/d/log', error: 'EIO' })
    await expect(file.append(bytes('ef'), { sync: true })).rejects.toMatchObject({ code: 'POISONED' })
    expect(poison.poisoned).toBe(true)
    expect(text(await fs.readFile('/d/log'))).toBe('HDRabcd')
    expect(text(await fs.crash(4, { pessimistic: true }).readFile('/d/log')).slice(0, 7)).toBe('HDRabcd')
  })

  it('roll: seals this file, switches to the next one, closes the previous handle', async () => {
    const { fs, file } = await fresh()
    await file.append(bytes('ab'))
    await file.roll(async () => {
      const h = await fs.open('/d/log2', 'wx')
      await h.write(bytes('H2'), 0)
      await h.sync()
      await fs.syncDir('/d')
      return { handle: h, end: 2 }
    })
    expect([file.end, file.syncedEnd]).toEqual([2, 2])
    await file.append(bytes('x'), { sync: true })
    const image = fs.crash(5, { pessimistic: true })
    expect(text(await image.readFile('/d/log'))).toBe('HDRab')
    expect(text(await image.readFile('/d/log2'))).toBe('H2x')
  })

  it('roll: a failing next leaves the current file active', async () => {
    const { file } = await fresh()
    await expect(file.roll(() => Promise.reject(new Error('no room')))).rejects.toThrow('no room')
    await file.append(bytes('z'), { sync: true })
    expect(file.end).toBe(4)
  })

  it('a custom writeFailed error', async () => {
    class Mine extends Error {}
    const fs = new SimFileSystem()
    await fs.writeFile('/f', new Uint8Array())
    const file = await DurableAppendFile.open(fs, '/f', { end: 0, writeFailed: (c) => new Mine('w', { cause: c }) })
    fs.injectFault({ op: 'write', path: '/f', error: 'ENOSPC' })
    await expect(file.append(bytes('a'))).rejects.toBeInstanceOf(Mine)
    await file.close()
  })
})
