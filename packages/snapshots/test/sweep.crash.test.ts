import type { FileSystem } from '@quire/vfs'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { SnapshotStore } from '../src/index.js'

// Issue 13, fault 4: temp files of interrupted saves are swept at open; after recovery from a crash
// at any point the directory holds only the store's own files.

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

const OWN = [
  /^k-([0-9a-f]{2})+\/$/,
  /^k-([0-9a-f]{2})+\/[0-9a-f]{16}-[0-9a-f]{16}\.snap$/,
  /^k-([0-9a-f]{2})+\/[0-9a-f]{16}-[0-9a-f]{16}\.snap\.0\.[0-9a-f]{16}\.quarantine$/,
]

async function workload(fs: SimFileSystem): Promise<void> {
  const store = await SnapshotStore.open('/snaps', { fs, keep: 1 })
  for (let i = 1; i <= 4; i++) await store.save('a', { position: i, state: { i } })
  await store.save('b', { position: 1, state: 'b' })
  await store.delete('b')
  await store.close()
}

describe('after recovery from a crash at any point, the directory holds only the store', () => {
  it.each([false, true])('every crash point of saves, pruning and a delete (pessimistic: %s)', async (pessimistic) => {
    const { strangers, sawTemp } = await strangersAtEveryCrashPoint(pessimistic, '/snaps', workload, async (fs) => {
      await (await SnapshotStore.open('/snaps', { fs })).close()
    }, OWN)
    expect(strangers).toEqual([])
    expect(sawTemp).toBeGreaterThan(0)
  })
})
