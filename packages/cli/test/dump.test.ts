import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEventStore, makeMvcc, makeNdjson, makeRecordKeeper, makeSnapshots, makeWal } from './support/make-stores.js'
import { hashTree, linesOf, quire } from './support/run-cli.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-dump-'))
  await makeWal(join(root, 'wal'))
  await makeNdjson(join(root, 'log.ndjson'))
  await makeSnapshots(join(root, 'snaps'))
  await makeRecordKeeper(join(root, 'rk'))
  await makeMvcc(join(root, 'mvcc'))
  await makeEventStore('ndjson', join(root, 'es.ndjson'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('dump writes NDJSON on standard output and changes nothing', () => {
  it('every store kind, with ranges', async () => {
    const before = await hashTree(root)

    // WAL: text as UTF-8, binary as base64, a tombstone's value null; --from/--to are seqs.
    let r = await quire(['dump', join(root, 'wal'), '--from', '20', '--to', '23'])
    expect(r.code, r.stderr).toBe(0)
    expect(linesOf(r)).toEqual([
      expect.objectContaining({ seq: 20, op: 'put', key: 'k20', value: 'value number 20' }),
      expect.objectContaining({ seq: 21, op: 'put', key: 'bin', valueBase64: Buffer.from([0, 1, 2, 255]).toString('base64') }),
      expect.objectContaining({ seq: 22, op: 'put', key: 'a', value: '1' }),
      expect.objectContaining({ seq: 23, op: 'delete', key: 'k1', value: null }),
    ])
    r = await quire(['dump', join(root, 'wal'), '--prefix', 'k1'])
    expect(linesOf(r).map((l) => l.key)).toEqual(['k1', 'k10', 'k11', 'k12', 'k13', 'k14', 'k15', 'k16', 'k17', 'k18', 'k19', 'k1'])

    // NDJSON log: records with their seq.
    r = await quire(['dump', join(root, 'log.ndjson'), '--from', '19'])
    expect(linesOf(r)).toEqual([
      { seq: 19, record: { type: 'Deposited', account: 'A1', amount: 19 } },
      { seq: 20, record: { type: 'Deposited', account: 'A2', amount: 20 } },
    ])

    // Snapshots: the newest of each key, or every retained one.
    r = await quire(['dump', join(root, 'snaps')])
    expect(linesOf(r).map((l) => [l.key, l.position, l.codec])).toEqual([
      ['account-1', 30, 'msgpack'],
      ['account-2', 30, 'msgpack'],
    ])
    r = await quire(['dump', join(root, 'snaps'), '--all', '--prefix', 'account-2'])
    expect(linesOf(r).map((l) => [l.position, l.state])).toEqual([
      [30, { balance: 300, key: 'account-2' }],
      [20, { balance: 200, key: 'account-2' }],
      [10, { balance: 100, key: 'account-2' }],
    ])

    // Record keeper: the history in order.
    r = await quire(['dump', join(root, 'rk'), '--from', '2', '--to', '3'])
    expect(linesOf(r).map((l) => [l.n, (l.event as { n: number }).n])).toEqual([
      [2, 1],
      [3, 2],
    ])

    // MVCC: key/values at the newest commit.
    r = await quire(['dump', join(root, 'mvcc'), '--prefix', 'user/'])
    expect(linesOf(r)).toEqual([
      { key: 'user/1', value: { name: 'ada' } },
      { key: 'user/2', value: { name: 'bob' } },
      { key: 'user/3', value: { name: 'cy' } },
    ])

    // Event store: one stream, $all with a prefix, and with system events.
    r = await quire(['dump', join(root, 'es.ndjson'), '--stream', 'account-1'])
    expect(linesOf(r).map((l) => [l.revision, l.type, l.position])).toEqual([
      [0, 'Opened', 1],
      [1, 'Deposited', 2],
      [2, 'Withdrawn', 4],
    ])
    expect(linesOf(r)[1]!.data).toEqual({ amount: 100, at: '2026-01-02T03:04:05.000Z' })
    r = await quire(['dump', join(root, 'es.ndjson'), '--prefix', 'order-', '--from', '13', '--to', '14'])
    expect(linesOf(r).map((l) => [l.position, l.streamName])).toEqual([
      [13, 'order-1'],
      [14, 'order-2'],
    ])
    r = await quire(['dump', join(root, 'es.ndjson'), '--system', '--prefix', '$$'])
    expect(linesOf(r).map((l) => [l.streamName, l.type])).toEqual([
      ['$$account-1', '$metadata'],
      ['$$temp', '$deleted'],
      ['$$gone', '$tombstone'],
    ])

    expect(await hashTree(root)).toBe(before)
  })

  it('a bad range is refused with exit 2', async () => {
    const r = await quire(['dump', join(root, 'wal'), '--from', 'ten'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/INVALID_ARGUMENT.*\n.*--from must be a whole number/)
  })
})
