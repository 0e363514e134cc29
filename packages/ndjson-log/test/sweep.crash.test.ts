import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { NdjsonLog } from '@quire/ndjson-log'
import { LOG, SMALL_PAD } from './helpers.js'

// Issue 13, fault 4: temp files of an interrupted replace (rotation's new active file) are swept at
// open; after recovery from a crash at any point the directory holds only the log's own files.

const OWN = [/^events\.ndjson$/, /^events\.\d{6,}\.ndjson$/, /^events\.ndjson\.lock\/$/, /^events\.ndjson\.\d+\.[0-9a-f]{16}\.quarantine$/]

async function listTree(fs: FileSystem, dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of await fs.readdir(dir)) {
    const path = `${dir}/${name}`
    if ((await fs.stat(path)).isDirectory) out.push(`${name}/`, ...(await listTree(fs, path)).map((n) => `${name}/${n}`))
    else out.push(name)
  }
  return out
}

async function workload(fs: SimFileSystem): Promise<void> {
  const log = await NdjsonLog.open(LOG, { fs, maxFileBytes: 400, preallocateBytes: SMALL_PAD })
  for (let i = 1; i <= 8; i++) {
    if (i % 3 === 0) await log.appendBatch([{ i, part: 1 }, { i, part: 2 }])
    else await log.append({ i, pad: 'x'.repeat(60) })
  }
  await log.close()
}

describe('after recovery from a crash at any point, the directory holds only the log', () => {
  it.each([false, true])('every crash point of appends, batches and rotations (pessimistic: %s)', async (pessimistic) => {
    const dry = new SimFileSystem({ pessimistic })
    await workload(dry)
    const total = dry.opCount
    let sawTemp = 0
    for (let haltAfter = 0; haltAfter <= total; haltAfter++) {
      const sim = new SimFileSystem({ pessimistic })
      sim.haltAfter(haltAfter)
      await workload(sim).catch(() => undefined)
      const image = sim.crash(haltAfter)
      if ((await image.exists('/db')) && (await image.readdir('/db')).some((n) => n.endsWith('.tmp'))) sawTemp++
      const log = await NdjsonLog.open(LOG, { fs: image, preallocateBytes: SMALL_PAD })
      await log.close()
      const strangers = (await listTree(image, '/db')).filter((n) => !OWN.some((re) => re.test(n)))
      expect(strangers, `crash after ${haltAfter} ops`).toEqual([])
    }
    expect(sawTemp).toBeGreaterThan(0)
  })
})
