import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeFileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, Wal } from '../src/index.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

describe("io: 'inline'", () => {
  it('is refused with sync none or a file system other than the real one, before anything is created', async () => {
    const fs = new SimFileSystem()
    await expect(Wal.open('/w', { fs, io: 'inline' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(Wal.open('/w', { fs, io: 'inline', sync: 'none' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(Wal.open('/w', { fs, io: 'sideways' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await fs.exists('/w')).toBe(false)
  })

  it('appends, batches and segment rolls on the real disk read back after a reopen, in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-wal-inline-'))
    try {
      const expected: string[] = []
      {
        await using wal = await Wal.open(dir, { io: 'inline', segmentBytes: 4096, fs: new NodeFileSystem() })
        for (let i = 0; i < 150; i++) {
          // One at a time (the inline path), then groups of concurrent appends and a batch.
          if (i % 10 === 0) {
            const group = [wal.append({ op: 'put', key: enc(`k${i}`), value: enc(`a${i}`) }), wal.appendBatch([{ op: 'put', key: enc(`k${i}`), value: enc(`b${i}`) }, { op: 'delete', key: enc(`k${i}`) }])]
            await Promise.all(group)
            expected.push(`k${i}=a${i}`, `k${i}=b${i}`, `k${i}=-`)
          } else {
            await wal.append({ op: 'put', key: enc(`k${i}`), value: enc(`v${i}`.repeat(4)) })
            expected.push(`k${i}=${`v${i}`.repeat(4)}`)
          }
        }
      }
      expect((await readdir(dir)).filter((n) => n.endsWith('.wal')).length).toBeGreaterThan(1)
      await using wal = await Wal.open(dir, { io: 'inline' })
      const found: string[] = []
      for await (const e of wal.replay()) found.push(`${new TextDecoder().decode(e.key)}=${e.value === null ? '-' : new TextDecoder().decode(e.value)}`)
      expect(found).toEqual(expected)
      expect(wal.recoveryReport.actions).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
