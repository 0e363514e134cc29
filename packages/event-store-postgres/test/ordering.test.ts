import type { EventStore} from '@quire/event-store';
import { type RecordedEvent } from '@quire/event-store'
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { runChild } from './support/children.js'
import { rawAppend } from './support/raw-append.js'
import { freshSchema, openStore, pgUrl, sqlClient } from './support/stores.js'

/**
 * The bug every bigserial-cursor store shipped (Eventuous #222, commanded/eventstore #3): a
 * reader that takes "everything above my cursor, in position order" skips a transaction that got
 * its position early and committed late. This reader does exactly that, without the horizon.
 */
class NaiveReader {
  readonly seen: string[] = []
  cursor = 0n
  #stop = false
  readonly #done: Promise<void>

  constructor(client: pg.Client, schema: string) {
    this.#done = (async () => {
      while (!this.#stop) {
        const r = await client.query<{ position: string; event_id: string }>(
          `SELECT position::text, event_id::text FROM "${schema}".events
            WHERE position > $1 AND NOT starts_with(stream_name, '$') ORDER BY position LIMIT 1000`,
          [String(this.cursor)],
        )
        for (const row of r.rows) {
          this.seen.push(row.event_id)
          this.cursor = BigInt(row.position)
        }
        if (r.rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
  }

  async until(position: bigint): Promise<void> {
    while (this.cursor < position) await new Promise((resolve) => setTimeout(resolve, 2))
  }

  async stop(): Promise<void> {
    this.#stop = true
    await this.#done
  }
}

async function readAllIds(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const e of store.readAll()) out.push(e)
  return out
}

describe('out-of-order commits', () => {
  it('a live $all subscriber sees every committed event exactly once, in readAll order; a naive position reader skips the late commits', async () => {
    const schema = freshSchema('order')
    const url = pgUrl()
    const store = await openStore(schema)
    const naiveClient = await sqlClient()
    const slowClient = await sqlClient()
    try {
      const seen: RecordedEvent[] = []
      const consuming = (async () => {
        for await (const e of store.subscribeToAll()) {
          if (e.type === 'stop') return
          seen.push(e)
        }
      })()
      const naive = new NaiveReader(naiveClient, schema)

      // Writers in two other processes, appending concurrently the whole time.
      const writers = [1, 2].map((w) => runChild('writer-child', [url, schema, String(w), '5000', '4', '3']))
      await Promise.all(writers.map((w) => w.waitFor(() => true)))

      // Late commits: a transaction takes its position (the append's insert), a later one
      // commits first and the naive reader reads past it, then the first one commits.
      const late: string[] = []
      for (let round = 0; round < 6; round++) {
        await slowClient.query('BEGIN')
        late.push(...(await rawAppend(slowClient, schema, `late-${round}`, 1 + (round % 3))))
        const fast = await store.appendToStream(`fast-${round}`, { type: 'fast', data: { round } })
        await naive.until(fast.position)
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 80)))
        await slowClient.query('COMMIT')
      }

      await Promise.all(writers.map((w) => w.done))
      await store.appendToStream('control', { type: 'stop', data: {} })
      await consuming
      await naive.stop()

      const all = (await readAllIds(store)).filter((e) => e.type !== 'stop')
      const acked = writers.flatMap((w) => w.lines).filter((l) => (l as { ids?: unknown }).ids !== undefined) as { ids: string[][] }[]
      const ackedIds = acked.flatMap((l) => l.ids.flat())
      // Every committed event is in $all: the writers' acknowledged ones, the late and the fast ones.
      expect(all.length).toBe(ackedIds.length + late.length + 6)
      expect(new Set(all.map((e) => e.id)).size).toBe(all.length)
      // The subscriber saw exactly $all, in its order: nothing skipped, nothing twice.
      expect(seen.map((e) => `${e.position} ${e.id}`)).toEqual(all.map((e) => `${e.position} ${e.id}`))
      // The naive reader skipped every late commit, so this test can see a skip when there is one.
      const naiveSeen = new Set(naive.seen)
      const skipped = all.filter((e) => !naiveSeen.has(e.id)).map((e) => e.id)
      expect(skipped.length).toBeGreaterThanOrEqual(late.length)
      for (const id of late) expect(skipped).toContain(id)
    } finally {
      await store.close()
      await naiveClient.end()
      await slowClient.end()
    }
  })
})

describe('stream locks before the transaction id', () => {
  it('an append that waits for a stream gets its position after the holder committed, so $all keeps the stream in revision order', async () => {
    const schema = freshSchema('lockxid')
    const store = await openStore(schema)
    const holder = await sqlClient()
    const waiter = await sqlClient()
    const probe = await sqlClient()
    try {
      // The holder takes stream S's lock as an append does (and will append under it).
      await holder.query('BEGIN')
      await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${schema}/S`])
      // The waiter's append to S blocks on that lock.
      const waiterPid = (await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
      const blocked = rawAppend(waiter, schema, 'S', 1, 'second')
      for (;;) {
        const r = await probe.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND locktype = $2 AND NOT granted', [waiterPid, 'advisory'])
        if (r.rowCount === 1) break
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      // While it waits it has no transaction id...
      const xid = await probe.query<{ backend_xid: string | null }>('SELECT backend_xid::text FROM pg_stat_activity WHERE pid = $1', [waiterPid])
      expect(xid.rows[0]!.backend_xid).toBeNull()
      // ...so transactions that start meanwhile (another stream) and the holder's own append
      // all get smaller ids than the waiter will.
      await store.appendToStream('other', { type: 'meanwhile', data: {} })
      await rawAppend(holder, schema, 'S', 1, 'first')
      await holder.query('COMMIT')
      await blocked

      const s: string[] = []
      for await (const e of store.readAll()) if (e.streamName === 'S') s.push(`${e.revision} ${e.type}`)
      expect(s).toEqual(['0 first', '1 second'])
      // An append inside a transaction that already wrote would get an id from before its locks:
      // refused.
      await holder.query('BEGIN')
      await holder.query(`DELETE FROM "${schema}".checkpoints`)
      await holder.query(`INSERT INTO "${schema}".checkpoints VALUES ('x', 1, gen_random_uuid())`)
      await expect(rawAppend(holder, schema, 'S', 1)).rejects.toMatchObject({ code: 'QR004' })
      await holder.query('ROLLBACK')
    } finally {
      await store.close()
      await Promise.all([holder.end(), waiter.end(), probe.end()])
    }
  })
})
