import { link, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { NdjsonLog } from '@quire/ndjson-log'

// Issue 13, fault 1: a second name of the log must not give a second writer.
const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function base(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-ndjson-alias-'))
  dirs.push(dir)
  return dir
}

describe('NdjsonLog.open through another name of an open log', () => {
  it('gets LOCKED through a symlinked directory, `..` segments or doubled separators', async () => {
    const root = await base()
    await mkdir(join(root, 'data'))
    await mkdir(join(root, 'x'))
    await symlink(join(root, 'data'), join(root, 'link'))
    const log = await NdjsonLog.open(join(root, 'data', 'ev.ndjson'))
    for (const alias of [join(root, 'link', 'ev.ndjson'), `${root}/x/../data/ev.ndjson`, `${root}//data/./ev.ndjson`]) {
      await expect(NdjsonLog.open(alias), alias).rejects.toMatchObject({ code: 'LOCKED' })
    }
    expect((await log.append({ n: 1 })).seq).toBe(1)
    await log.close()
  })

  it('gets LOCKED through a hard link of the log file, in another directory', async () => {
    const root = await base()
    await mkdir(join(root, 'a'))
    await mkdir(join(root, 'b'))
    const log = await NdjsonLog.open(join(root, 'a', 'ev.ndjson'))
    await log.append({ n: 1 })
    await link(join(root, 'a', 'ev.ndjson'), join(root, 'b', 'ev.ndjson'))
    await expect(NdjsonLog.open(join(root, 'b', 'ev.ndjson'))).rejects.toMatchObject({ code: 'LOCKED' })
    await log.close()
  })
})
