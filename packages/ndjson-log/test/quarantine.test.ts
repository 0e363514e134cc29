import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { NdjsonLog, type NdjsonLogOptions } from '@quire/ndjson-log'
import { LOG, SMALL_PAD, readAll, text } from './helpers.js'

// Issue 13, fault 5: recovery never destroys bytes it cannot prove were torn (what it cuts is kept
// in a quarantine file first, named in the report), and a line ending `\r\n` is not damage.

async function sample(opts: NdjsonLogOptions = {}): Promise<SimFileSystem> {
  const fs = new SimFileSystem()
  const log = await NdjsonLog.open(LOG, { preallocateBytes: SMALL_PAD, ...opts, fs })
  await log.append({ n: 1 })
  await log.appendBatch([{ n: 2 }, { n: 3 }])
  await log.append({ n: 4 })
  await log.close()
  return fs
}

async function rewrite(fs: SimFileSystem, content: string): Promise<void> {
  const h = await fs.open(LOG, 'w')
  await h.write(Buffer.from(content), 0)
  await h.sync()
  await h.close()
}

describe('a line ending \\r\\n is not damage', () => {
  it('a complete last line ending \\r\\n (an editor saved the file) is kept, and appends go on after it', async () => {
    const fs = await sample()
    const content = await text(fs)
    const crlf = `${content.slice(0, -1)}\r\n`
    await rewrite(fs, crlf)
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    expect(log.lastSeq).toBe(4)
    expect(log.recovery.truncatedBytes).toBe(0)
    expect(log.recovery.quarantined).toEqual([])
    await log.append({ n: 5 })
    await log.close()
    expect((await text(fs)).startsWith(crlf)).toBe(true)
    expect((await readAll(fs)).map((e) => e.record)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }])
  })

  it('every line ending \\r\\n reads the same as with \\n', async () => {
    const fs = await sample()
    await rewrite(fs, (await text(fs)).replaceAll('\n', '\r\n'))
    expect((await readAll(fs)).map((e) => e.seq)).toEqual([1, 2, 3, 4])
  })
})

describe('what recovery cuts is preserved first', () => {
  it('a last line damaged at rest (looks like a torn tail) is cut, and its bytes kept in a quarantine file', async () => {
    const fs = await sample()
    const content = await text(fs)
    const lastStart = content.lastIndexOf('{"seq":4')
    const damaged = content.slice(0, lastStart + 12) + 'X' + content.slice(lastStart + 13)
    await rewrite(fs, damaged)
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    expect(log.lastSeq).toBe(3)
    expect(log.recovery.truncatedBytes).toBe(Buffer.byteLength(damaged.slice(lastStart)))
    expect(log.recovery.quarantined).toHaveLength(1)
    const file = log.recovery.quarantined[0]!
    expect(file).toMatch(/^\/db\/events\.ndjson\.\d+\.[0-9a-f]{16}\.quarantine$/)
    expect(Buffer.from(await fs.readFile(file)).toString()).toBe(damaged.slice(lastStart))
    await log.close()
    // Durable before the cut: a power loss now keeps it.
    for (const seed of [1, 2]) expect(Buffer.from(await fs.crash(seed).readFile(file)).toString()).toBe(damaged.slice(lastStart))
    const again = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    expect(again.recovery.quarantined).toEqual([])
    await again.close()
  })

  it("point-in-time: everything from the damage on is preserved before it is cut", async () => {
    const fs = await sample()
    const content = await text(fs)
    const at = content.indexOf('{"seq":2')
    const damaged = content.slice(0, at + 10) + 'Z' + content.slice(at + 11)
    await rewrite(fs, damaged)
    const log = await NdjsonLog.open(LOG, { fs, recovery: 'point-in-time', preallocateBytes: SMALL_PAD })
    expect(log.lastSeq).toBe(1)
    expect(log.recovery.quarantined).toHaveLength(1)
    expect(Buffer.from(await fs.readFile(log.recovery.quarantined[0]!)).toString()).toBe(damaged.slice(at))
    await log.close()
  })

  it('free space (the pad line) a writer left is released without a quarantine file', async () => {
    const fs = new SimFileSystem()
    const log = await NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })
    await log.append({ n: 1 })
    const image = fs.clone() // as if the process died: the pad line is still there
    await log.close()
    const reopened = await NdjsonLog.open(LOG, { fs: image, preallocateBytes: SMALL_PAD })
    expect(reopened.recovery.releasedBytes).toBeGreaterThan(0)
    expect(reopened.recovery.quarantined).toEqual([])
    await reopened.close()
  })
})
