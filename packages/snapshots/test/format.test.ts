import { crc32 as zlibCrc32 } from 'node:zlib'
import { join } from 'node:path'
import { SimFileSystem } from '@quire/vfs/sim'
import { checkProperty, fc, propertyRuns } from '@quire/test-kit'
import { describe, expect, it, vi } from 'vitest'
import { SnapshotStore } from '../src/index.js'
import { keyBytes, keyDirName, keyFromDirName } from '../src/key-dir.js'
import { compareNewestFirst, parseSnapFileName, snapFileName } from '../src/file-name.js'
import { concatSnapshot, encodeSnapshot, verifySnapshot } from '../src/snapshot-file.js'

describe('FORMAT.md, byte for byte', () => {
  it('a raw snapshot file is exactly the documented layout', async () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_123)
    try {
      const fs = new SimFileSystem()
      const store = await SnapshotStore.open('/s', { fs, codec: 'raw' })
      await store.save('acct-1', { position: 0x0102030405, state: new Uint8Array([0xde, 0xad]), schemaVersion: 7 })
      await store.close()
      const dir = '/s/k-616363742d31'
      expect(await fs.readdir(dir)).toEqual(['0000000102030405-0000000000000000.snap'])
      const file = Buffer.from(await fs.readFile(join(dir, '0000000102030405-0000000000000000.snap')))

      // An independent encoder, written from FORMAT.md only.
      const head = Buffer.alloc(48)
      head.write('QUIRSNAP', 0, 'ascii')
      head.writeUInt16LE(1, 8) // format version
      head.writeUInt8(0, 10) // codec: raw
      head.writeUInt8(0, 11) // flags
      head.writeUInt32LE(6, 12) // key length
      head.writeBigUInt64LE(0x0102030405n, 16)
      head.writeUInt32LE(7, 24) // schema version
      head.writeUInt32LE(0, 28) // reserved
      head.writeBigUInt64LE(1_700_000_000_123n, 32)
      head.writeBigUInt64LE(2n, 40) // state length
      const body = Buffer.concat([head, Buffer.from('acct-1'), Buffer.from([0xde, 0xad])])
      const trailer = Buffer.alloc(4)
      trailer.writeUInt32LE(zlibCrc32(body) >>> 0, 0)
      expect(file.equals(Buffer.concat([body, trailer]))).toBe(true)
      expect(file.byteLength).toBe(52 + 6 + 2)
    } finally {
      now.mockRestore()
    }
  })
})

describe('key directories', () => {
  it('are reversible, distinct per key and always one safe path segment', async () => {
    await checkProperty(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), (a, b) => {
        for (const key of [a, b]) {
          let bytes: Uint8Array
          try {
            bytes = keyBytes(key)
          } catch {
            continue // lone surrogates or too long: rejected, never mapped
          }
          const name = keyDirName(bytes)
          expect(name).toMatch(/^k-[0-9a-f]+$/)
          expect(name.length).toBeLessThanOrEqual(242)
          expect(keyFromDirName(name)).toBe(key)
        }
        if (a !== b) {
          try {
            expect(keyDirName(keyBytes(a))).not.toBe(keyDirName(keyBytes(b)))
          } catch (err) {
            if ((err as { code?: string }).code !== 'INVALID_ARGUMENT') throw err
          }
        }
      }),
      { numRuns: propertyRuns(100) },
    )
  })

  it('ignores names that are not key directories', () => {
    for (const name of ['LOCK', 'k-', 'k-6', 'k-6G', 'K-61', 'k-61.tmp', 'k-ff', `k-${'61'.repeat(121)}`]) {
      expect(keyFromDirName(name)).toBeUndefined()
    }
  })
})

describe('snapshot file names', () => {
  it('sort by (position, sequence) as their bytes sort', async () => {
    const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
    await checkProperty(
      fc.property(safe, safe, safe, safe, (p1, s1, p2, s2) => {
        const a = parseSnapFileName(snapFileName(p1, s1))!
        const b = parseSnapFileName(snapFileName(p2, s2))!
        expect(a).toMatchObject({ position: p1, sequence: s1 })
        const byName = a.name < b.name ? 1 : a.name > b.name ? -1 : 0
        expect(Math.sign(compareNewestFirst(a, b))).toBe(byName)
      }),
      { numRuns: propertyRuns(300) },
    )
    for (const name of ['0000000000000001-0000000000000000.snap.tmp', '1-1.snap', '0020000000000000-0000000000000000.snap']) {
      expect(parseSnapFileName(name)).toBeUndefined()
    }
  })
})

describe('hostile snapshot bytes', () => {
  const key = new TextEncoder().encode('key')
  const expected = { key, position: 5, maxStateBytes: 1 << 20 }
  const valid = concatSnapshot(
    encodeSnapshot({ codecId: 0, position: 5, schemaVersion: 1, createdAtMs: 1 }, key, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
  )

  it('a valid file verifies, and every truncation, extension and single-byte change is rejected', () => {
    expect(verifySnapshot(valid, expected)).toMatchObject({ ok: true, snapshot: { position: 5, schemaVersion: 1, createdAtMs: 1 } })
    for (let length = 0; length < valid.length; length++) expect(verifySnapshot(valid.subarray(0, length), expected).ok).toBe(false)
    const longer = new Uint8Array(valid.length + 1)
    longer.set(valid)
    expect(verifySnapshot(longer, expected).ok).toBe(false)
    for (let at = 0; at < valid.length; at++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = valid.slice()
        bad[at]! ^= mask
        expect(verifySnapshot(bad, expected).ok).toBe(false)
      }
    }
  })

  it('never throws on arbitrary bytes, including headers that claim huge lengths', async () => {
    await checkProperty(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat({ max: 7 }), (random, seedLength, field) => {
        expect(() => verifySnapshot(random, expected)).not.toThrow()
        // The valid header with one length field set to something absurd.
        const bad = valid.slice()
        const view = new DataView(bad.buffer)
        if (field < 4) view.setUint32(12, seedLength * 0x10001, true)
        else view.setBigUint64(40, BigInt(seedLength) * 0x1_0000_0001n, true)
        const verdict = verifySnapshot(bad, expected)
        if (view.getUint32(12, true) !== 3 || view.getBigUint64(40, true) !== 8n) expect(verdict.ok).toBe(false)
      }),
      { numRuns: propertyRuns(300) },
    )
  })
})
