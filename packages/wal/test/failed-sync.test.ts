import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { Wal } from '../src/index.js'

// After a failed fdatasync Linux keeps serving the dropped data from its cache. A log reopened in
// the same process must not read that data as the log and acknowledge new entries after it.
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array | null): string => new TextDecoder().decode(b ?? new Uint8Array())

describe('after a failed sync', () => {
  it('a reopened log builds only on what the disk holds', async () => {
    const fs = new SimFileSystem()
    const wal = await Wal.open('/db/wal', { fs })
    await wal.append({ op: 'put', key: enc('k'), value: enc('one') })
    fs.injectFault({ op: 'sync', path: /\.wal$/, error: 'EIO' })
    await expect(wal.append({ op: 'put', key: enc('k'), value: enc('two') })).rejects.toMatchObject({ code: 'POISONED' })
    await wal.close().catch(() => undefined)
    const again = await Wal.open('/db/wal', { fs })
    const three = await again.append({ op: 'put', key: enc('k'), value: enc('three') })
    await again.close()
    for (const image of [fs.crash(1), fs.crash(2), fs.clone()]) {
      const reopened = await Wal.open('/db/wal', { fs: image })
      const entries: [number, string][] = []
      for await (const e of reopened.replay()) entries.push([e.seq, dec(e.value)])
      await reopened.close()
      expect(entries).toEqual([[1, 'one'], [three.seq, 'three']])
      expect(three.seq).toBe(2)
    }
  })
})
