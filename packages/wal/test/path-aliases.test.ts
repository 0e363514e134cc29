import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { enc } from './helpers.js'

// Issue 13, fault 1: a second name of the log's directory must not give a second writer.
const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('Wal.open through another name of an open log directory', () => {
  it('gets LOCKED through a symlink, `..` segments or a trailing slash; the log keeps one writer', async () => {
    const base = await mkdtemp(join(tmpdir(), 'quire-wal-alias-'))
    dirs.push(base)
    const dir = join(base, 'wal')
    await mkdir(dir)
    await mkdir(join(base, 'x'))
    await symlink(dir, join(base, 'link'))
    const wal = await Wal.open(dir)
    for (const alias of [join(base, 'link'), `${base}/x/../wal`, `${dir}/`]) {
      await expect(Wal.open(alias), alias).rejects.toMatchObject({ code: 'LOCKED' })
    }
    expect((await wal.append({ op: 'put', key: enc('a'), value: enc('1') })).seq).toBe(1)
    await wal.close()
    const again = await Wal.open(join(base, 'link'))
    expect(again.lastSeq).toBe(1)
    await again.close()
  })
})
