import { crc32 } from '@quire/codec'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { SnapshotStore, type CorruptionReport } from '../src/index.js'

// Issue 13, fault 6: an older release must never delete, overwrite or truncate a file of a newer
// format version it cannot read. The snapshot store leaves such a file alone, and says so once.

const KEY_DIR = '/store/k-6b'

/** A snapshot file as a newer release could write it: format version 2, valid checksum. */
async function newerFile(fs: SimFileSystem, from: string, to: string): Promise<Uint8Array> {
  const bytes = (await fs.readFile(`${KEY_DIR}/${from}`)).slice()
  new DataView(bytes.buffer).setUint16(8, 2, true)
  new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)) >>> 0, true)
  await fs.writeFile(`${KEY_DIR}/${to}`, bytes)
  return bytes
}

describe('snapshot files of a newer format version are left alone', () => {
  it('load skips it, pruning and delete leave it byte for byte, and it is reported once, not as corrupt', async () => {
    const fs = new SimFileSystem()
    const first = await SnapshotStore.open('/store', { fs })
    await first.save('k', { position: 1, state: 'one' })
    await first.close()
    const newest = await newerFile(fs, '0000000000000001-0000000000000000.snap', '0000000000000009-0000000000000005.snap')
    const oldest = await newerFile(fs, '0000000000000001-0000000000000000.snap', '0000000000000000-0000000000000001.snap')
    const corrupt: CorruptionReport[] = []
    const unsupported: { file: string; version: number; code: string }[] = []
    const store = await SnapshotStore.open('/store', {
      fs,
      keep: 0,
      onCorrupt: (r) => corrupt.push(r),
      onUnsupported: (r) => unsupported.push({ file: r.file, version: r.version, code: r.error.code }),
    })
    expect(await store.load('k')).toMatchObject({ position: 1, state: 'one' })
    expect(await store.load('k')).toMatchObject({ position: 1, state: 'one' })
    await store.save('k', { position: 2, state: 'two' })
    await store.save('k', { position: 3, state: 'three' })
    expect(await store.load('k')).toMatchObject({ position: 3, state: 'three' })
    await store.delete('k')
    await store.close()
    expect(corrupt).toEqual([])
    expect(unsupported).toEqual([
      { file: `${KEY_DIR}/0000000000000009-0000000000000005.snap`, version: 2, code: 'UNSUPPORTED_VERSION' },
      { file: `${KEY_DIR}/0000000000000000-0000000000000001.snap`, version: 2, code: 'UNSUPPORTED_VERSION' },
    ])
    expect(Buffer.from(await fs.readFile(`${KEY_DIR}/0000000000000009-0000000000000005.snap`)).equals(Buffer.from(newest))).toBe(true)
    expect(Buffer.from(await fs.readFile(`${KEY_DIR}/0000000000000000-0000000000000001.snap`)).equals(Buffer.from(oldest))).toBe(true)
    expect((await fs.readdir(KEY_DIR)).filter((n) => n.endsWith('.snap'))).toEqual([
      '0000000000000000-0000000000000001.snap',
      '0000000000000009-0000000000000005.snap',
    ])
  })
})
