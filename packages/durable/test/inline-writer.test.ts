import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeFileSystem } from '@quire/vfs'
import { describe, expect, it } from 'vitest'
import { DurableAppendFile, openInlineWriter, type InlineWriter } from '../src/index.js'
import { bytes, simAppendFile, text } from './support/sim-append-file.js'

/** An inline writer that fails every write with `code`: the fault a real O_DSYNC write can hit. */
const failing = (code: string): InlineWriter => ({
  write() {
    throw Object.assign(new Error(`${code}: injected`), { code })
  },
  close() {},
})

const simFile = (inline: InlineWriter): ReturnType<typeof simAppendFile> => simAppendFile({ dsync: true, inline })

describe('DurableAppendFile with an inline writer', () => {
  it('a synced append asked inline that needs no free space goes through the inline writer; others do not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-inline-'))
    try {
      const path = join(dir, 'log')
      await writeFile(path, 'HDR')
      const real = openInlineWriter(path)
      let inlineWrites = 0
      const counted: InlineWriter = {
        write: (data, at) => {
          inlineWrites++
          real.write(data, at)
        },
        close: () => real.close(),
      }
      const file = await DurableAppendFile.open(new NodeFileSystem(), path, { end: 3, dsync: true, preallocate: 8, inline: counted })
      await file.append(bytes('ab'), { sync: true, inline: true }) // grows the file by its free space: through the handle
      expect(inlineWrites).toBe(0)
      await file.append(bytes('cd'), { sync: true, inline: true }) // inside the free space: inline
      expect(inlineWrites).toBe(1)
      await file.append(bytes('xy'), { sync: true, advance: 0 }) // not asked inline (a pad the next append overwrites)
      expect(inlineWrites).toBe(1)
      expect([file.end, file.syncedEnd, file.fileEnd]).toEqual([7, 7, 13])
      await file.append(bytes('e')) // not synced: through the handle
      expect(inlineWrites).toBe(1)
      await file.seal()
      await file.close()
      expect(await readFile(path, 'utf8')).toBe('HDRabcde')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('an inline write that did not fit (ENOSPC) is rolled back durably: WRITE_FAILED, not poisoned', async () => {
    const { fs, file, poison } = await simFile(failing('ENOSPC'))
    await expect(file.append(bytes('ab'), { sync: true, inline: true })).rejects.toMatchObject({ code: 'WRITE_FAILED', errno: 'ENOSPC' })
    expect(poison.poisoned).toBe(false)
    expect([file.end, file.syncedEnd]).toEqual([3, 3])
    expect(text(await fs.crash(1, { pessimistic: true }).readFile('/d/log'))).toBe('HDR')
  })

  it('an inline write failing otherwise (EIO) may be a failed sync: poison, cut back to what the disk holds', async () => {
    const { fs, file, poison } = await simFile(failing('EIO'))
    await file.append(bytes('ab')) // unsynced: through the (O_DSYNC) handle, so durable too
    const err = await file.append(bytes('cd'), { sync: true, inline: true }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'POISONED' })
    expect(poison.error).toBe(err)
    expect([file.end, file.syncedEnd]).toEqual([5, 5])
    expect(text(await fs.readFile('/d/log'))).toBe('HDRab')
    expect(text(await fs.crash(2, { pessimistic: true }).readFile('/d/log'))).toBe('HDRab')
    await expect(file.append(bytes('x'), { sync: true, inline: true })).rejects.toBe(err)
  })

  it("roll switches to the next file's inline writer and closes the previous one; close closes it", async () => {
    const closed: string[] = []
    const named = (name: string): InlineWriter => ({ write() {}, close: () => void closed.push(name) })
    const { fs, file } = await simFile(named('first'))
    await file.roll(async () => {
      const h = await fs.open('/d/log2', 'wx', { dsync: true })
      await h.write(bytes('H2'), 0)
      await h.sync()
      await fs.syncDir('/d')
      return { handle: h, end: 2, inline: named('second') }
    })
    expect(closed).toEqual(['first'])
    await file.close()
    expect(closed).toEqual(['first', 'second'])
  })
})
