import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startLedgerServer, type LedgerServer } from '../src/ledger/http/server.js'
import { Ledger } from '../src/ledger/ledger.js'
import { MAX_BODY_BYTES } from '../src/ledger/limits.js'

// The HTTP API of the ledger service, in process, on the real disk (WAL backend).
let dir: string
let ledger: Ledger
let server: LedgerServer
let base: string

async function call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key !== undefined) headers['idempotency-key'] = key
  const res = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) })
  const text = await res.text()
  return { status: res.status, body: (res.headers.get('content-type') ?? '').startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : { text } }
}

async function start(maxInFlight?: { command?: number }): Promise<void> {
  ledger = await Ledger.open({ dir, backend: 'wal' })
  await ledger.startBackground()
  server = await startLedgerServer(ledger, { port: 0, ...(maxInFlight === undefined ? {} : { maxInFlight }) })
  base = `http://127.0.0.1:${server.port}`
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quire-ledger-api-'))
  await start()
  expect((await call('POST', '/accounts', { accountId: 'alice', owner: 'Alice' }, 'open-a')).status).toBe(201)
  expect((await call('POST', '/accounts', { accountId: 'bob', owner: 'Bob' }, 'open-b')).status).toBe(201)
  expect((await call('POST', '/accounts/alice/deposits', { amount: 10_000 }, 'fund-a')).status).toBe(200)
})

afterEach(async () => {
  await server.close()
  await ledger.close()
  await rm(dir, { recursive: true, force: true })
})

describe('ledger HTTP API', () => {
  it('books a retried command once and answers it alike, also after a restart', async () => {
    const first = await call('POST', '/transfers', { from: 'alice', to: 'bob', amount: 2_500 }, 'pay-1')
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ from: 'alice', to: 'bob', amount: 2_500, balance: 7_500, replay: false })
    const again = await call('POST', '/transfers', { from: 'alice', to: 'bob', amount: 2_500 }, 'pay-1')
    expect(again.body).toMatchObject({ transferId: first.body.transferId, position: first.body.position, replay: true })
    await server.close()
    await ledger.close()
    await start()
    const afterRestart = await call('POST', '/transfers', { from: 'alice', to: 'bob', amount: 2_500 }, 'pay-1')
    expect(afterRestart.body).toMatchObject({ transferId: first.body.transferId, position: first.body.position, replay: true })
    const head = ledger.head
    await ledger.caughtUp(10_000)
    expect((await call('GET', `/accounts/bob?atLeast=${head}`)).body).toMatchObject({ balance: 2_500 })
    expect((await call('GET', '/totals')).body).toMatchObject({ accounts: 2, money: 10_000, transfers: 1 })
  })

  it('records a decline (409) and answers its retry alike; never below zero', async () => {
    const declined = await call('POST', '/accounts/alice/withdrawals', { amount: 10_001 }, 'too-much')
    expect(declined.status).toBe(409)
    expect(declined.body).toMatchObject({ error: 'INSUFFICIENT_FUNDS', balance: 10_000, declined: true })
    await call('POST', '/accounts/alice/deposits', { amount: 5 }, 'more')
    // The same key after the balance changed: still the recorded answer, not a new decision.
    const retried = await call('POST', '/accounts/alice/withdrawals', { amount: 10_001 }, 'too-much')
    expect(retried).toMatchObject({ status: 409, body: { balance: 10_000, replay: true } })
  })

  it('refuses bad requests with a 4xx and changes nothing', async () => {
    const head = ledger.head
    const cases: [string, string, unknown, string | undefined, number, string][] = [
      ['POST', '/accounts/alice/deposits', '{"amount": 1', 'b1', 400, 'MALFORMED_JSON'],
      ['POST', '/accounts/alice/deposits', { amount: -5 }, 'b2', 400, 'INVALID_AMOUNT'],
      ['POST', '/accounts/alice/deposits', { amount: 1.5 }, 'b3', 400, 'INVALID_AMOUNT'],
      ['POST', '/accounts/alice/deposits', { amount: '5' }, 'b4', 400, 'INVALID_AMOUNT'],
      ['POST', '/accounts/nobody/deposits', { amount: 5 }, 'b5', 404, 'ACCOUNT_NOT_FOUND'],
      ['POST', '/accounts/alice/deposits', { amount: 5 }, undefined, 400, 'MISSING_IDEMPOTENCY_KEY'],
      ['POST', '/transfers', { from: 'alice', to: 'alice', amount: 5 }, 'b6', 400, 'SAME_ACCOUNT'],
      ['POST', '/transfers', { from: 'alice', to: 'nobody', amount: 5 }, 'b7', 404, 'ACCOUNT_NOT_FOUND'],
      ['POST', '/accounts', { accountId: 'Bad Id!', owner: 'x' }, 'b8', 400, 'INVALID_ACCOUNT_ID'],
      ['POST', '/accounts', { accountId: 'alice', owner: 'Eve' }, 'b9', 409, 'ACCOUNT_EXISTS'],
      ['POST', '/accounts/alice/deposits', { amount: 5, note: 'x'.repeat(MAX_BODY_BYTES) }, 'b10', 413, 'BODY_TOO_LARGE'],
      ['POST', '/accounts/alice/deposits', { amount: 7 }, 'fund-a', 422, 'IDEMPOTENCY_KEY_REUSED'],
      ['DELETE', '/accounts/alice', undefined, 'b11', 404, 'NO_SUCH_ROUTE'],
    ]
    for (const [method, path, body, key, status, code] of cases) {
      const reply = await call(method, path, body, key)
      expect({ path, status: reply.status, code: reply.body.error }).toEqual({ path, status, code })
    }
    expect(ledger.head).toBe(head)
  })

  it('issues a statement document through the depot and serves it', async () => {
    const issued = await call('POST', '/accounts/alice/statements', {}, 'stmt-1')
    expect(issued.status).toBe(201)
    expect(await call('POST', '/accounts/alice/statements', {}, 'stmt-1')).toMatchObject({ body: { objectId: issued.body.objectId, replay: true } })
    const doc = await call('GET', `/documents/${String(issued.body.objectId)}?atLeast=${String(issued.body.position)}`)
    expect(doc.status).toBe(200)
    expect(doc.body.text).toContain('closing balance: 100.00')
  })

  it('sheds commands beyond its bound with 503 instead of queueing them', async () => {
    await server.close()
    server = await startLedgerServer(ledger, { port: 0, maxInFlight: { command: 2 } })
    base = `http://127.0.0.1:${server.port}`
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => call('POST', '/accounts/bob/deposits', { amount: 1 }, `burst-${i}`)))
    const shed = replies.filter((r) => r.status === 503)
    const booked = replies.filter((r) => r.status === 200)
    expect(shed.length).toBeGreaterThan(0)
    expect(shed[0]!.body.error).toBe('OVERLOADED')
    expect(booked.length + shed.length).toBe(30)
    await ledger.caughtUp(10_000)
    expect((await call('GET', '/accounts/bob')).body.balance).toBe(booked.length)
  })
})
