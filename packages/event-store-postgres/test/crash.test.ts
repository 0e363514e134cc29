import { randomUUID } from 'node:crypto'
import { AppendFailedError, EventStore, type RecordedEvent } from '@quire/event-store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresBackend } from '../src/index.js'
import { checkLog, readAllEvents, type AckLine } from './support/checks.js'
import { startTestServer, type TestServer } from './support/pg-server.js'

/** One append attempt: acknowledged (with what it reported) or failed with the outcome unknown. */
interface Attempt {
  readonly streams: string[]
  readonly ids: string[][]
  result?: AckLine
  unknown?: boolean
}

const ROUNDS = 3
const WRITERS = 8

/**
 * The server is stopped the way `pg_ctl stop -m immediate` stops it (SIGQUIT to the postmaster:
 * every backend exits at once, no shutdown checkpoint; the next start runs crash recovery) while
 * appends are in flight, then restarted. This file starts its own server: crashing the shared one
 * would break the other test files.
 */
describe('crash: immediate server stop while appends are in flight', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ ownServer: true })
  })
  afterAll(async () => {
    await server?.destroy()
  })

  it('every acknowledged append is there, whole; every unacknowledged one is whole or absent; a durable subscriber resumes from its checkpoint without a gap', async () => {
    const schema = 'crash'
    const backend = (migrate: boolean) => postgresBackend({ connectionString: server.url, schema, migrate, pollIntervalMs: 50 })
    const attempts: Attempt[] = []
    /** What the durable subscriber's handler was given, over every round, in order. */
    const delivered: RecordedEvent[] = []
    /** Per round: the checkpoint the resumed subscription started after. */
    const resumedAfter: (bigint | undefined)[] = []

    for (let round = 0; round < ROUNDS; round++) {
      const store = await EventStore.open({ backend: backend(round === 0) })
      const checkpoint = await store.getCheckpoint('crash-sub')
      resumedAfter.push(checkpoint?.position)
      // Whatever the handler saw after the checkpoint before the crash is delivered again.
      if (checkpoint !== undefined) {
        const keep = delivered.findIndex((e) => e.position > checkpoint.position)
        if (keep >= 0) delivered.splice(keep)
        expect(delivered.at(-1)?.id).toBe(checkpoint.eventId)
      }
      const sub = await store.subscribe('crash-sub', async (e) => {
        delivered.push(e)
      })
      sub.done.catch(() => undefined)

      let acked = 0
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; ; i++) {
          const multi = i % 7 === 3
          const own = `r${round}-w${w}`
          const shared = `shared-${i % 3}`
          const attempt: Attempt = multi
            ? { streams: [own, shared], ids: [[randomUUID()], [randomUUID(), randomUUID()]] }
            : { streams: [own], ids: [Array.from({ length: 1 + (i % 3) }, () => randomUUID())] }
          attempts.push(attempt)
          try {
            if (multi) {
              const r = await store.multiStreamAppend(
                attempt.streams.map((streamName, k) => ({ streamName, events: attempt.ids[k]!.map((id) => ({ id, type: 'e', data: { w, i } })) })),
              )
              attempt.result = { s: attempt.streams, r: r.results.map((x, k) => x.nextExpectedRevision - attempt.ids[k]!.length + 1), ids: attempt.ids, p: String(r.position) }
            } else {
              const r = await store.appendToStream(own, attempt.ids[0]!.map((id) => ({ id, type: 'e', data: { w, i } })))
              attempt.result = { s: attempt.streams, r: [r.nextExpectedRevision - attempt.ids[0]!.length + 1], ids: attempt.ids, p: String(r.position) }
            }
            acked++
          } catch (error) {
            // The only acceptable failure: the outcome is unknown.
            expect(error).toBeInstanceOf(AppendFailedError)
            attempt.unknown = true
            return
          }
        }
      }
      const writing = Array.from({ length: WRITERS }, (_, w) => writer(w))
      while (acked < 150) await new Promise((resolve) => setTimeout(resolve, 5))
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 200)))
      await server.crash()
      await Promise.all(writing)
      await expect(sub.done).rejects.toMatchObject({ code: 'SUBSCRIPTION_DROPPED' })
      await store.close()
      await server.restart()
    }

    // After the last restart: check the log, then let the subscriber catch up from its checkpoint.
    const store = await EventStore.open({ backend: backend(false) })
    try {
      const all = await readAllEvents(store)
      const ackedAttempts = attempts.filter((a) => a.result !== undefined)
      const unknown = attempts.filter((a) => a.unknown === true)
      expect(ackedAttempts.length).toBeGreaterThan(ROUNDS * 150)
      expect(unknown.length).toBeGreaterThan(0)
      checkLog(all, ackedAttempts.map((a) => a.result!))
      const present = new Set(all.map((e) => e.id))
      for (const a of unknown) {
        const ids = a.ids.flat()
        const found = ids.filter((id) => present.has(id)).length
        expect([0, ids.length], `unacknowledged append ${ids[0]} is partly there`).toContain(found)
      }
      // Nothing else is in the log.
      const attempted = new Set(attempts.flatMap((a) => a.ids.flat()))
      for (const e of all) expect(attempted.has(e.id)).toBe(true)
      expect(all.length).toBe(
        ackedAttempts.reduce((n, a) => n + a.ids.flat().length, 0) +
          unknown.filter((a) => present.has(a.ids[0]![0]!)).reduce((n, a) => n + a.ids.flat().length, 0),
      )

      const checkpoint = await store.getCheckpoint('crash-sub')
      resumedAfter.push(checkpoint?.position)
      if (checkpoint !== undefined) {
        const keep = delivered.findIndex((e) => e.position > checkpoint.position)
        if (keep >= 0) delivered.splice(keep)
      }
      const head = all.at(-1)!.position
      const sub = await store.subscribe('crash-sub', async (e) => {
        delivered.push(e)
      })
      while ((delivered.at(-1)?.position ?? -1n) < head) await new Promise((resolve) => setTimeout(resolve, 10))
      await sub.stop()
      // Over three crashes and four resumptions, the subscriber saw $all exactly, in order.
      expect(delivered.map((e) => e.id)).toEqual(all.map((e) => e.id))
      expect(resumedAfter.slice(1).every((p) => p !== undefined)).toBe(true)
    } finally {
      await store.close()
    }
  })
})
