import { randomUUID } from 'node:crypto'
import { EventStore, type RecordedEvent } from '@quire/event-store'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { horizonLag, migrate, postgresBackend, SCHEMA_VERSION } from '../src/index.js'
import { rawAppend } from './support/raw-append.js'
import { freshSchema, openStore, pgUrl, sqlClient, testBackend } from './support/stores.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** The pid of a backend waiting for an advisory lock (an append blocked on a stream lock). */
async function waitingAppendPid(probe: pg.Client): Promise<number> {
  let pid: number | undefined
  await until(async () => {
    const r = await probe.query<{ pid: number }>(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)
    pid = r.rows[0]?.pid
    return pid !== undefined
  }, 'an append to block on its stream lock')
  return pid!
}

describe('schema and migrations', () => {
  it('migrate is idempotent and safe when several processes run it at once; open without it refuses an unmigrated schema', async () => {
    const schema = freshSchema('mig')
    await expect(EventStore.open({ backend: postgresBackend({ connectionString: pgUrl(), schema }) })).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', found: undefined })
    // Eight concurrent migrations, each on its own connection, like eight processes starting.
    const results = await Promise.all(Array.from({ length: 8 }, () => migrate({ connectionString: pgUrl(), schema })))
    expect(results.filter((r) => r.from === undefined)).toHaveLength(1)
    expect(results.every((r) => r.to === SCHEMA_VERSION)).toBe(true)
    expect(await migrate({ connectionString: pgUrl(), schema })).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION })
    const client = await sqlClient()
    try {
      const versions = await client.query(`SELECT version FROM "${schema}".schema_version`)
      expect(versions.rows).toEqual([{ version: SCHEMA_VERSION }])
      const store = await EventStore.open({ backend: postgresBackend({ connectionString: pgUrl(), schema }) })
      await store.close()
      // A schema newer than this package is refused, by open and by migrate.
      await client.query(`INSERT INTO "${schema}".schema_version (version) VALUES (${SCHEMA_VERSION + 1})`)
      await expect(EventStore.open({ backend: postgresBackend({ connectionString: pgUrl(), schema }) })).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', found: SCHEMA_VERSION + 1 })
      await expect(migrate({ connectionString: pgUrl(), schema })).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' })
    } finally {
      await client.end()
    }
  })

  it('refuses schema names that are not plain lowercase identifiers, and bad options', () => {
    for (const schema of ['', 'Quire', 'a-b', 'a;drop table x', '"q"', 'pg_catalog', '1abc', 'x'.repeat(49)]) {
      expect(() => postgresBackend({ connectionString: pgUrl(), schema })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
    expect(() => postgresBackend({ schema: 'ok' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => postgresBackend({ connectionString: pgUrl(), poolSize: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => postgresBackend({ connectionString: pgUrl(), pollIntervalMs: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => postgresBackend({ connectionString: pgUrl(), orderedCommits: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('works on a pool the application owns, and leaves it open', async () => {
    const pool = new pg.Pool({ connectionString: pgUrl(), max: 3 })
    try {
      const schema = freshSchema('pool')
      const store = await EventStore.open({ backend: postgresBackend({ pool, schema, migrate: true }) })
      await store.appendToStream('p', { type: 'e', data: {} })
      await store.close()
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    } finally {
      await pool.end()
    }
  })
})

describe('a lost connection mid-append', () => {
  it('is APPEND_FAILED, and a retry with the same ids is then safe', async () => {
    const schema = freshSchema('lost')
    const store = await openStore(schema)
    const holder = await sqlClient()
    const probe = await sqlClient()
    try {
      await store.appendToStream('S', { type: 'e', data: {} })
      // Hold S's stream lock so the append blocks inside its function, then kill its backend.
      await holder.query('BEGIN')
      await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${schema}/S`])
      const events = [
        { id: randomUUID(), type: 'e', data: { n: 1 } },
        { id: randomUUID(), type: 'e', data: { n: 2 } },
      ]
      const append = store.appendToStream('S', events, { expectedRevision: 0 })
      append.catch(() => undefined)
      await probe.query('SELECT pg_terminate_backend($1)', [await waitingAppendPid(probe)])
      await expect(append).rejects.toMatchObject({ code: 'APPEND_FAILED' })
      await holder.query('COMMIT')
      // Nothing of it committed here; the retry writes it once, and a second retry is a replay.
      const retry = await store.appendToStream('S', events, { expectedRevision: 0 })
      expect(retry).toMatchObject({ nextExpectedRevision: 2, idempotentReplay: false })
      expect(await store.appendToStream('S', events, { expectedRevision: 0 })).toEqual({ ...retry, idempotentReplay: true })
    } finally {
      await store.close()
      await holder.end()
      await probe.end()
    }
  })
})

describe('long transactions and horizonLag', () => {
  it('an open writing transaction stalls $all (not appends, not readStream) and shows in horizonLag', async () => {
    const schema = freshSchema('lag')
    const backend = testBackend(schema)
    const store = await EventStore.open({ backend })
    const holder = await sqlClient()
    try {
      expect(await backend.horizonLag()).toMatchObject({ eventsWaiting: 0 })
      await store.appendToStream('before', { type: 'e', data: {} })
      const seen: RecordedEvent[] = []
      const consuming = (async () => {
        for await (const e of store.subscribeToAll()) {
          seen.push(e)
          if (e.streamName === 'after') return
        }
      })()
      await until(async () => seen.length === 1, 'the subscriber to catch up')
      // Any transaction that has written something, anywhere in the cluster, holds the horizon.
      await holder.query('BEGIN')
      await holder.query('CREATE TEMP TABLE held (x int)')
      await holder.query('INSERT INTO held VALUES (1)')
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
      const r = await store.appendToStream('after', { type: 'e', data: {} })
      const read: string[] = []
      for await (const e of store.readStream('after')) read.push(e.id)
      expect(read).toHaveLength(1)
      const lag = await backend.horizonLag()
      expect(lag.transactions).toBeGreaterThan(0n)
      expect(lag.eventsWaiting).toBe(1)
      expect(lag.oldestTransaction?.pid).toBe(holderPid)
      expect(await horizonLag({ connectionString: pgUrl(), schema })).toMatchObject({ eventsWaiting: 1 })
      const head: bigint[] = []
      for await (const e of store.readAll({ direction: 'backwards', maxCount: 1 })) head.push(e.position)
      expect(head[0]! < r.position).toBe(true)
      await sleep(300)
      expect(seen).toHaveLength(1)
      await holder.query('COMMIT')
      await consuming
      expect(seen.map((e) => e.streamName)).toEqual(['before', 'after'])
      expect(await backend.horizonLag()).toMatchObject({ eventsWaiting: 0, transactions: 0n })
    } finally {
      await store.close()
      await holder.end()
    }
    await expect(backend.horizonLag()).rejects.toMatchObject({ code: 'CLOSED' })
  })
})

describe('wake-ups', () => {
  it('a subscriber in another process-like store is woken by NOTIFY (its poll is 60 s), also after its LISTEN connection was killed', async () => {
    const schema = freshSchema('notify')
    const writer = await openStore(schema)
    const reader = await openStore(schema, { pollIntervalMs: 60_000, applicationName: 'quire-reader' })
    const probe = await sqlClient()
    try {
      const seen: string[] = []
      const consuming = (async () => {
        for await (const e of reader.subscribeToAll()) {
          seen.push(e.type)
          if (e.type === 'second') return
        }
      })()
      await sleep(200)
      await writer.appendToStream('n', { type: 'first', data: {} })
      await until(async () => seen.length === 1, 'the first event (NOTIFY)')
      // Kill the reader's LISTEN connection: it reconnects and wakes its readers.
      const listeners = await probe.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'quire-reader' AND query ILIKE 'LISTEN%'`)
      expect(listeners.rows).toHaveLength(1)
      await probe.query('SELECT pg_terminate_backend($1)', [listeners.rows[0]!.pid])
      await until(async () => {
        const r = await probe.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'quire-reader' AND query ILIKE 'LISTEN%'`)
        return r.rowCount === 1
      }, 'the LISTEN connection to come back')
      await writer.appendToStream('n', { type: 'second', data: {} })
      await consuming
      expect(seen).toEqual(['first', 'second'])
    } finally {
      await writer.close()
      await reader.close()
      await probe.end()
    }
  })
})

describe('checkpoints and snapshots', () => {
  it('keeps checkpoints and snapshots in tables; a snapshot that does not decode is a miss', async () => {
    const schema = freshSchema('side')
    const backend = testBackend(schema)
    const driver = await backend.open()
    const client = await sqlClient()
    try {
      expect(await driver.loadCheckpoint('c')).toBeUndefined()
      await driver.storeCheckpoint('c', { position: 1n << 60n, eventId: '00000000-0000-4000-8000-000000000001' })
      expect(await driver.loadCheckpoint('c')).toEqual({ position: 1n << 60n, eventId: '00000000-0000-4000-8000-000000000001' })
      await driver.storeCheckpoint('c', undefined)
      expect(await driver.loadCheckpoint('c')).toBeUndefined()

      await driver.saveSnapshot('agg:x', { position: 3n, schemaVersion: 2, state: { total: 5, at: new Date(9) } })
      expect(await driver.loadSnapshot('agg:x')).toEqual({ position: 3n, schemaVersion: 2, state: { total: 5, at: new Date(9) } })
      await client.query(`UPDATE "${schema}".snapshots SET state = '{"$date": "not a date"}'`)
      expect(await driver.loadSnapshot('agg:x')).toBeUndefined()
    } finally {
      await driver.close()
      await client.end()
    }
  })

  it('a durable subscription resumes after its checkpoint; a checkpoint naming another event is CHECKPOINT_MISMATCH', async () => {
    const schema = freshSchema('cp')
    const store = await openStore(schema)
    try {
      for (let i = 0; i < 5; i++) await store.appendToStream('c', { type: 'e', data: { i } })
      const first: number[] = []
      const sub = await store.subscribe('s', async (e) => {
        first.push((e.data as { i: number }).i)
      })
      await until(async () => first.length === 5, 'five events')
      await sub.stop()
      await store.appendToStream('c', { type: 'e', data: { i: 5 } })
      const second: number[] = []
      const again = await store.subscribe('s', async (e) => {
        second.push((e.data as { i: number }).i)
      })
      await until(async () => second.length === 1, 'the sixth event')
      await again.stop()
      expect(second).toEqual([5])
      const cp = await store.getCheckpoint('s')
      await expect(store.resetCheckpoint('s', { position: cp!.position, eventId: randomUUID() })).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' })
      // A log rewritten under a stored checkpoint (a restored backup): refused, never skipped.
      const client = await sqlClient()
      await client.query(`UPDATE "${schema}".checkpoints SET event_id = $1`, [randomUUID()])
      await client.end()
      await expect(store.subscribe('s', async () => undefined)).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' })
    } finally {
      await store.close()
    }
  })
})

describe('raw function use', () => {
  it('the append function is the whole write path: it can run inside a caller transaction when it is the first write', async () => {
    const schema = freshSchema('raw')
    const store = await openStore(schema)
    const client = await sqlClient()
    try {
      await client.query('BEGIN')
      const ids = await rawAppend(client, schema, 'r', 2)
      await client.query('ROLLBACK')
      expect(await store.getStreamState('r')).toEqual({ state: 'no_stream' })
      expect(ids).toHaveLength(2)
    } finally {
      await store.close()
      await client.end()
    }
  })
})
