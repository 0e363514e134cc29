import { describe, expect, it } from 'vitest'
import { ReadOnlyError, ReadOnlyFileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

async function populated(): Promise<SimFileSystem> {
  const sim = new SimFileSystem()
  await sim.mkdir('/db')
  await sim.writeFile('/db/a', bytes('hello'))
  await sim.syncDir('/db')
  return sim
}

describe('ReadOnlyFileSystem', () => {
  it('reads through', async () => {
    const ro = new ReadOnlyFileSystem(await populated())
    expect(new TextDecoder().decode(await ro.readFile('/db/a'))).toBe('hello')
    expect(await ro.readdir('/db')).toEqual(['a'])
    expect((await ro.stat('/db/a')).size).toBe(5)
    expect(await ro.exists('/db/b')).toBe(false)
    const h = await ro.open('/db/a', 'r')
    const buf = new Uint8Array(5)
    expect(await h.read(buf, 0)).toBe(5)
    expect(await h.size()).toBe(5)
    await h.sync()
    await h.close()
  })

  it('refuses every change with READ_ONLY and changes nothing', async () => {
    const sim = await populated()
    const ro = new ReadOnlyFileSystem(sim)
    const before = sim.dump()
    const h = await ro.open('/db/a', 'r')
    const attempts: Array<() => Promise<unknown>> = [
      () => ro.open('/db/a', 'r+'),
      () => ro.open('/db/b', 'wx'),
      () => ro.open('/db/a', 'a'),
      () => ro.writeFile('/db/a', bytes('x')),
      () => ro.rename('/db/a', '/db/b'),
      () => ro.unlink('/db/a'),
      () => ro.mkdir('/db/c'),
      () => ro.rmdir('/db'),
      () => ro.symlink('/db/a', '/db/s'),
      () => ro.link('/db/a', '/db/l'),
      () => h.write(bytes('x'), 0),
      () => h.truncate(0),
    ]
    for (const attempt of attempts) {
      const err = await attempt().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ReadOnlyError)
      expect(err).toMatchObject({ code: 'READ_ONLY' })
    }
    await h.close()
    expect(sim.dump()).toEqual(before)
  })
})
