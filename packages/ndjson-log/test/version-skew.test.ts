import { crc32 } from '@quire/codec'
import { describe, expect, it } from 'vitest'
import { SimFileSystem } from '@quire/vfs/sim'
import { NdjsonLog, type RecoveryMode } from '@quire/ndjson-log'
import { LOG, SMALL_PAD } from './helpers.js'

// Issue 13, fault 6: an older release must never delete, overwrite or truncate a file of a newer
// format version. The NDJSON log refuses to open with UNSUPPORTED_VERSION and changes nothing.

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0')
const line = (body: string): string => `${body},"crc":"${hex8(crc32(Buffer.from(body)))}"}\n`
const modes: RecoveryMode[] = ['strict', 'point-in-time', 'skip-corrupt']

async function fileWith(content: string, path = LOG): Promise<SimFileSystem> {
  const fs = new SimFileSystem()
  await fs.mkdir('/db')
  const h = await fs.open(path, 'w')
  await h.write(Buffer.from(content), 0)
  await h.sync()
  await h.close()
  await fs.syncDir('/db')
  return fs
}

describe('a log file of a newer format version', () => {
  it('a version-2 header with a valid checksum and a torn-looking tail: UNSUPPORTED_VERSION in every mode, nothing cut', async () => {
    const fs = await fileWith(line('{"format":"quire-ndjson-log","version":2,"startSeq":1') + '{"seq":1,"new-layout":true}\n' + 'partial')
    const before = fs.dump()
    for (const recovery of modes) {
      await expect(NdjsonLog.open(LOG, { fs, recovery, preallocateBytes: SMALL_PAD }), recovery).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', version: 2 })
      expect(fs.dump()).toBe(before)
    }
  })

  it('a version-2 header whose checksum this release cannot check (a new rule): still UNSUPPORTED_VERSION', async () => {
    const fs = await fileWith('{"format":"quire-ndjson-log","version":2,"startSeq":1,"crc64":"0011223344556677"}\n{"seq":1}\n')
    const before = fs.dump()
    await expect(NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', version: 2 })
    expect(fs.dump()).toBe(before)
  })

  it('the last archive of version 2 while the active file is missing: UNSUPPORTED_VERSION, no active file made', async () => {
    const fs = await fileWith(line('{"format":"quire-ndjson-log","version":2,"startSeq":1'), '/db/events.000001.ndjson')
    const before = fs.dump()
    await expect(NdjsonLog.open(LOG, { fs, preallocateBytes: SMALL_PAD })).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' })
    expect(fs.dump()).toBe(before)
  })
})
