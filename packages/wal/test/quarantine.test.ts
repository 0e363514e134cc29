import { scanFrames } from '@quire/codec'
import { SimFileSystem } from '@quire/vfs/sim'
import { describe, expect, it } from 'vitest'
import { Wal, type RecoveryAction } from '../src/index.js'
import { DIR, enc, readAll } from './helpers.js'

// Issue 13, fault 5: recovery never destroys bytes it cannot prove were torn. What it removes is
// first preserved in a quarantine file next to the log (durably), named in the recovery report.

const put = (k: string, n = 40) => ({ op: 'put' as const, key: enc(k), value: enc('v'.repeat(n)) })
const segments = async (fs: SimFileSystem): Promise<string[]> => (await fs.readdir(DIR)).filter((n) => n.endsWith('.wal'))

async function buildLog(count: number, segmentBytes = 64 * 1024): Promise<SimFileSystem> {
  const fs = new SimFileSystem()
  const wal = await Wal.open(DIR, { fs, segmentBytes })
  for (let i = 1; i <= count; i++) await wal.append(put(`k${i}`))
  await wal.close()
  return fs
}

/** The quarantine file an action names holds exactly `bytes`, and survives a power loss now. */
async function expectPreserved(fs: SimFileSystem, action: RecoveryAction | undefined, bytes: Uint8Array): Promise<void> {
  expect(action?.quarantine).toMatch(/\.quarantine$/)
  const name = action!.quarantine!
  expect(Buffer.from(await fs.readFile(`${DIR}/${name}`)).equals(Buffer.from(bytes))).toBe(true)
  for (const seed of [1, 2, 3]) {
    expect(Buffer.from(await fs.crash(seed).readFile(`${DIR}/${name}`)).equals(Buffer.from(bytes))).toBe(true)
  }
}

describe('what recovery removes is preserved first', () => {
  it('a last frame damaged at rest is cut as a torn tail, and its bytes are kept in a quarantine file', async () => {
    const fs = await buildLog(3)
    const path = `${DIR}/00000000000000000001.wal`
    const before = await fs.readFile(path)
    const last = scanFrames(before, { offset: 24 }).frames.at(-1)!
    fs.corruptByte(path, last.offset + 12)
    const damaged = await fs.readFile(path)
    const wal = await Wal.open(DIR, { fs })
    const cut = wal.recoveryReport.actions.find((a) => a.action === 'cut-torn-tail')
    expect(cut).toMatchObject({ offset: last.offset, bytes: damaged.length - last.offset })
    await expectPreserved(fs, cut, damaged.subarray(last.offset))
    expect(wal.lastSeq).toBe(2)
    await wal.close()
    // Idempotent: the next open finds nothing to do and keeps the quarantine file.
    const again = await Wal.open(DIR, { fs })
    expect(again.recoveryReport.actions).toEqual([])
    await again.close()
    expect((await fs.readdir(DIR)).filter((n) => n.endsWith('.quarantine'))).toEqual([cut!.quarantine])
  })

  it('a segment whose header is unreadable and holds no valid frame is moved to quarantine, not deleted', async () => {
    const fs = await buildLog(3)
    const junk = new Uint8Array(40).fill(0x5a)
    await fs.writeFile(`${DIR}/00000000000000000004.wal`, junk)
    const wal = await Wal.open(DIR, { fs })
    const removed = wal.recoveryReport.actions.find((a) => a.action === 'removed-torn-segment')
    await expectPreserved(fs, removed, junk)
    await wal.close()
  })

  it("point-in-time: the cut and every segment dropped after the corruption are preserved", async () => {
    const fs = await buildLog(60, 1024)
    const names = await segments(fs)
    const bytes = new Map<string, Uint8Array>()
    for (const n of names) bytes.set(n, await fs.readFile(`${DIR}/${n}`))
    const offset = scanFrames(bytes.get(names[1]!)!, { offset: 24 }).frames[2]!.offset
    fs.corruptByte(`${DIR}/${names[1]!}`, offset + 20)
    const damaged = await fs.readFile(`${DIR}/${names[1]!}`)
    const wal = await Wal.open(DIR, { fs, recovery: 'point-in-time' })
    const actions = wal.recoveryReport.actions
    await expectPreserved(fs, actions.find((a) => a.action === 'cut-corrupt'), damaged.subarray(offset))
    const dropped = actions.filter((a) => a.action === 'removed-after-corruption')
    expect(dropped.map((a) => a.segment).sort()).toEqual(names.slice(2))
    for (const a of dropped) await expectPreserved(fs, a, bytes.get(a.segment)!)
    await wal.close()
    expect((await readAll(fs)).lastSeq).toBe(wal.lastSeq)
  })

  it('zeros after the last record are free space (FORMAT.md): nothing to get back, nothing reported', async () => {
    const fs = await buildLog(2)
    const path = `${DIR}/00000000000000000001.wal`
    const size = (await fs.stat(path)).size
    const h = await fs.open(path, 'a')
    await h.write(new Uint8Array(300))
    await h.close()
    const wal = await Wal.open(DIR, { fs })
    expect(wal.recoveryReport.actions).toEqual([])
    expect((await fs.readdir(DIR)).filter((n) => n.endsWith('.quarantine'))).toEqual([])
    await wal.close()
    expect((await fs.stat(path)).size).toBe(size) // a clean close cuts free space
  })
})
