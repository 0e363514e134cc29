import type { IncomingMessage } from 'node:http'
import { idempotencyKey } from '../command-ids.js'
import { accountId, parseCommand, type CommandKind } from '../domain/commands.js'
import { badRequest, notFound, unavailable } from '../errors.js'
import type { Ledger } from '../ledger.js'
import { MAX_STATEMENT_QUERY_LINES, READ_YOUR_WRITES_WAIT_MS } from '../limits.js'
import { positionNumber, type Reply } from '../replies.js'
import { readJsonBody } from './body.js'

/** A matched route: a command (bounded by the command queue) or a query (by the query queue). */
export interface Route {
  readonly kind: 'command' | 'query'
  handle(ledger: Ledger, req: IncomingMessage, url: URL): Promise<Reply>
}

const command = (kind: CommandKind, account?: string): Route => ({
  kind: 'command',
  async handle(ledger, req) {
    const key = idempotencyKey(req.headers['idempotency-key'])
    const body = await readJsonBody(req)
    return ledger.writeSide.execute(key, parseCommand(kind, account, body))
  },
})

/** `?atLeast=<position>`: wait until the read model includes that position (read your writes). */
async function readYourWrites(ledger: Ledger, url: URL): Promise<void> {
  const raw = url.searchParams.get('atLeast')
  if (raw === null) return
  if (!/^\d{1,15}$/.test(raw)) throw badRequest('INVALID_POSITION', 'atLeast must be a position (a non-negative integer)')
  if (!(await ledger.projector.waitFor(BigInt(raw), READ_YOUR_WRITES_WAIT_MS))) {
    throw unavailable('READ_MODEL_BEHIND', `the read model has not reached position ${raw} yet; retry`)
  }
}

const query = (fn: (ledger: Ledger, url: URL) => Promise<Reply>): Route => ({
  kind: 'query',
  async handle(ledger, _req, url) {
    await readYourWrites(ledger, url)
    return fn(ledger, url)
  },
})

const projected = (ledger: Ledger): { readonly projectedPosition: number } => ({ projectedPosition: positionNumber(ledger.projector.position) })

/**
 * The API (JSON in and out; amounts in integer cents; commands need an `Idempotency-Key`):
 *
 * | method | path | body | reply |
 * | --- | --- | --- | --- |
 * | POST | `/accounts` | `{ accountId, owner }` | 201 |
 * | POST | `/accounts/:id/deposits` | `{ amount }` | 200 `{ balance, position }` |
 * | POST | `/accounts/:id/withdrawals` | `{ amount }` | 200, or 409 `INSUFFICIENT_FUNDS` (recorded decline) |
 * | POST | `/transfers` | `{ from, to, amount }` | 200, or 409 `INSUFFICIENT_FUNDS` |
 * | POST | `/accounts/:id/statements` | `{}` | 201 `{ statementId, objectId, sha256 }` |
 * | GET | `/accounts/:id` | | balance from the read model |
 * | GET | `/accounts/:id/statement` | | newest statement lines from the read model |
 * | GET | `/documents/:objectId` | | a statement document from the depot (text) |
 * | GET | `/totals` | | money, accounts and counts from the read model |
 * | GET | `/health` | | positions of the log, the read model and the audit trail |
 */
export function route(method: string, path: string): Route | undefined {
  const parts = path.split('/').filter((p) => p !== '')
  const [a, b, c, extra] = parts
  if (extra !== undefined) return undefined
  if (method === 'POST') {
    if (a === 'accounts' && b === undefined) return command('open')
    if (a === 'transfers' && b === undefined) return command('transfer')
    if (a === 'accounts' && b !== undefined && c === 'deposits') return command('deposit', b)
    if (a === 'accounts' && b !== undefined && c === 'withdrawals') return command('withdraw', b)
    if (a === 'accounts' && b !== undefined && c === 'statements') return command('statement', b)
    return undefined
  }
  if (method !== 'GET') return undefined
  if (a === 'accounts' && b !== undefined && c === undefined) {
    return query(async (ledger) => {
      const view = await ledger.readModel.account(accountId(b, 'account'))
      if (view === undefined) throw notFound('ACCOUNT_NOT_FOUND', `account ${b} is not in the read model`)
      return { status: 200, body: { ...view, ...projected(ledger) } }
    })
  }
  if (a === 'accounts' && b !== undefined && c === 'statement') {
    return query(async (ledger, url) => {
      const limit = Math.min(MAX_STATEMENT_QUERY_LINES, Math.max(1, Number(url.searchParams.get('limit') ?? '20') || 20))
      const id = accountId(b, 'account')
      const view = await ledger.readModel.account(id)
      if (view === undefined) throw notFound('ACCOUNT_NOT_FOUND', `account ${b} is not in the read model`)
      return { status: 200, body: { accountId: id, balance: view.balance, lines: await ledger.readModel.lines(id, limit), ...projected(ledger) } }
    })
  }
  if (a === 'documents' && b !== undefined && c === undefined) {
    return query(async (ledger) => {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(b)) throw badRequest('INVALID_OBJECT_ID', 'not a document id')
      const statement = await ledger.readModel.document(b)
      if (statement === undefined) throw notFound('DOCUMENT_NOT_FOUND', `no issued statement has document ${b}`)
      const bytes = await ledger.depot.read(b, 0, statement.bytes)
      return { status: 200, body: { ...statement }, text: Buffer.from(bytes).toString('utf8') }
    })
  }
  if (a === 'totals' && b === undefined) {
    return query(async (ledger) => {
      const { totals, checkpoint } = await ledger.readModel.totals()
      return { status: 200, body: { ...totals, checkpoint: checkpoint ?? null, ...projected(ledger) } }
    })
  }
  if (a === 'health' && b === undefined) {
    return query(async (ledger) => ({
      status: 200,
      body: {
        status: ledger.projector.failure === undefined ? 'ok' : 'read-model-failed',
        backend: ledger.store.backendName,
        logPosition: positionNumber(ledger.head),
        ...projected(ledger),
        auditPosition: positionNumber(ledger.audit.position),
        commandsInFlight: ledger.writeSide.inFlight,
        ...ledger.writeSide.stats,
      },
    }))
  }
  return undefined
}

