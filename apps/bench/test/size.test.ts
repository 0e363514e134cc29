import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { fillProgress, forEachSize, sizesUpTo } from '../src/curves/size.js'

const roots: string[] = []
afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true })
})

async function contextUpTo(maxEntries: number): Promise<{ maxEntries: number; subdir(name: string): Promise<string> }> {
  const root = await mkdtemp(join(tmpdir(), 'bench-size-test-'))
  roots.push(root)
  return {
    maxEntries,
    subdir: async (name) => {
      const path = join(root, name)
      await mkdir(path, { recursive: true })
      return path
    },
  }
}

describe('size curves', () => {
  it('measure every subject at the same nominal sizes, capped by --max-entries', () => {
    expect(sizesUpTo(10_000_000)).toEqual([10_000, 100_000, 1_000_000, 10_000_000])
    expect(sizesUpTo(1_500_000)).toEqual([10_000, 100_000, 1_000_000])
    expect(sizesUpTo(5)).toEqual([10_000])
  })

  it('give each size a fresh directory and delete it once the size is done', async () => {
    const ctx = await contextUpTo(100_000)
    const seen: { n: number; dir: string; existed: boolean }[] = []
    await forEachSize(ctx, 't', async (n, dir) => {
      seen.push({ n, dir, existed: existsSync(dir) })
    })
    expect(seen.map((s) => s.n)).toEqual([10_000, 100_000])
    expect(new Set(seen.map((s) => s.dir)).size).toBe(2)
    for (const s of seen) {
      expect(s.existed).toBe(true)
      expect(existsSync(s.dir)).toBe(false)
    }
  })

  it('delete the directory of a size whose body fails, and pass the failure on', async () => {
    const ctx = await contextUpTo(10_000)
    let used = ''
    await expect(
      forEachSize(ctx, 't', async (_, dir) => {
        used = dir
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(used).not.toBe('')
    expect(existsSync(used)).toBe(false)
  })

  it('print fill progress at each tenth of a large fill, and nothing for a small one', () => {
    const lines: string[] = []
    const out = new Writable({ write: (chunk: Buffer, _, done) => (lines.push(chunk.toString()), done()) })
    const large = fillProgress('x', 10_000_000, out)
    for (let done = 10_000; done <= 10_000_000; done += 10_000) large(done)
    expect(lines).toHaveLength(10)
    expect(lines[0]).toContain('1,000,000 of 10,000,000')
    expect(lines[9]).toContain('10,000,000 of 10,000,000')
    lines.length = 0
    const small = fillProgress('y', 100_000, out)
    for (let done = 1000; done <= 100_000; done += 1000) small(done)
    expect(lines).toHaveLength(0)
  })
})
