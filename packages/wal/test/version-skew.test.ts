import { crc32 } from '@quire/codec'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal, type WalRecoveryMode } from '../src/index.js'
import { DIR, enc } from './helpers.js'

// Issue 13, fault 6: an older release must never delete, overwrite or truncate a file of a newer
// format version. The WAL refuses to open with UNSUPPORTED_VERSION, in every recovery mode, and
// changes nothing.

async function buildLog(count: number): Promise<SimFileSystem> {
  const fs = new SimFileSystem()
  const wal = await Wal.open(DIR, { fs, segmentBytes: 1024 })
  for (let i = 1; i <= count; i++) await wal.append({ op: 'put', key: enc(`k${i}`), value: enc('v'.repeat(40)) })
  await wal.truncateBefore(2)
  await wal.close()
  return fs
}

/** Rewrites a 24-byte header (segment or floor) as a newer release would: version 2, valid CRC. */
async function bumpVersion(fs: SimFileSystem, path: string): Promise<void> {
  const h = await fs.open(path, 'r+')
  const header = new Uint8Array(24)
  await h.read(header, 0)
  const view = new DataView(header.buffer)
  view.setUint16(8, 2, true)
  view.setUint32(20, crc32(header.subarray(0, 20)) >>> 0, true)
  await h.write(header, 0)
  await h.sync()
  await h.close()
}

const modes: WalRecoveryMode[] = ['strict', 'point-in-time', 'skip-corrupt']

describe('files of a newer format version', () => {
  it.each(['last', 'middle'] as const)('a %s segment of version 2: UNSUPPORTED_VERSION in every mode, nothing changed', async (which) => {
    const fs = await buildLog(40)
    const segments = (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal'))
    const name = which === 'last' ? segments.at(-1)! : segments[1]!
    await bumpVersion(fs, `${DIR}/${name}`)
    const before = fs.dump()
    for (const recovery of modes) {
      await expect(Wal.open(DIR, { fs, recovery }), recovery).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', file: name, version: 2 })
      expect(fs.dump()).toBe(before)
    }
  })

  it('a floor file of version 2: UNSUPPORTED_VERSION, nothing changed', async () => {
    const fs = await buildLog(10)
    await bumpVersion(fs, `${DIR}/wal.floor`)
    const before = fs.dump()
    for (const recovery of modes) {
      await expect(Wal.open(DIR, { fs, recovery })).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', file: 'wal.floor', version: 2 })
    }
    expect(fs.dump()).toBe(before)
  })
})
