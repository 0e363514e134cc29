import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Depot, RecordKeeper } from '../src/index.js'

// Issue 13, fault 4: temp files of interrupted replaces are swept at open; after recovery from a
// crash at any point the directory holds only the store's own files.

async function listTree(fs: FileSystem, dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of await fs.readdir(dir)) {
    const path = `${dir}/${name}`
    if ((await fs.stat(path)).isDirectory) out.push(`${name}/`, ...(await listTree(fs, path)).map((n) => `${name}/${n}`))
    else out.push(name)
  }
  return out
}

/** Runs `workload` with the power cut after every possible number of operations, recovers with
 * `recover`, and returns the names under `dir` that `own` does not accept, per crash point. */
async function strangersAtEveryCrashPoint(
  pessimistic: boolean,
  dir: string,
  workload: (fs: SimFileSystem) => Promise<void>,
  recover: (fs: SimFileSystem) => Promise<void>,
  own: readonly RegExp[],
): Promise<{ strangers: string[]; sawTemp: number }> {
  const dry = new SimFileSystem({ pessimistic })
  await workload(dry)
  const strangers: string[] = []
  let sawTemp = 0
  for (let haltAfter = 0; haltAfter <= dry.opCount; haltAfter++) {
    const sim = new SimFileSystem({ pessimistic })
    sim.haltAfter(haltAfter)
    await workload(sim).catch(() => undefined)
    const image = sim.crash(haltAfter)
    if ((await image.exists(dir)) && (await listTree(image, dir)).some((n) => n.endsWith('.tmp'))) sawTemp++
    await recover(image)
    for (const n of await listTree(image, dir)) if (!own.some((re) => re.test(n))) strangers.push(`after ${haltAfter} ops: ${n}`)
  }
  return { strangers, sawTemp }
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const id = (n: number): string => `${String(n).repeat(8).slice(0, 8)}-0000-4000-8000-000000000000`

describe('after recovery from a crash at any point, the directory holds only the store', () => {
  it('RecordKeeper: every crash point of adds', async () => {
    const own = [/^rk\/$/, /^rk\/(FORMAT|head|tail|events\/)$/, /^rk\/events\/([0-9a-f]\/){1,3}$/, new RegExp(`^rk/events/[0-9a-f]/[0-9a-f]/[0-9a-f]/${UUID}$`)]
    const workload = async (fs: SimFileSystem): Promise<void> => {
      const rk = await RecordKeeper.open('/s', { fs })
      for (let i = 1; i <= 4; i++) await rk.add({ id: id(i), n: i })
      await rk.close()
    }
    const { strangers, sawTemp } = await strangersAtEveryCrashPoint(false, '/s', workload, async (fs) => {
      await (await RecordKeeper.open('/s', { fs })).close()
    }, own)
    expect(strangers).toEqual([])
    expect(sawTemp).toBeGreaterThan(0)
  })

  it('Depot: every crash point of reserve, write, finalize and purge', async () => {
    const own = [/^depot\/$/, /^depot\/FORMAT$/, /^depot\/([0-9a-f]\/){1,3}$/, new RegExp(`^depot/[0-9a-f]/[0-9a-f]/[0-9a-f]/${UUID}(\\.wr)?$`)]
    const workload = async (fs: SimFileSystem): Promise<void> => {
      const depot = await Depot.open('/s', { fs })
      await depot.reserve(id(1), 10)
      await depot.write(id(1), 0, new Uint8Array(10).fill(1))
      await depot.finalize(id(1))
      await depot.reserve(id(2), 5)
      await depot.purge(id(2))
      await depot.close()
    }
    const { strangers, sawTemp } = await strangersAtEveryCrashPoint(false, '/s', workload, async (fs) => {
      await (await Depot.open('/s', { fs })).close()
    }, own)
    expect(strangers).toEqual([])
    expect(sawTemp).toBeGreaterThan(0)
  })
})
