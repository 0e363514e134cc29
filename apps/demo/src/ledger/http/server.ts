import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { LedgerError } from '../errors.js'
import type { Ledger } from '../ledger.js'
import { MAX_IN_FLIGHT_COMMANDS, MAX_IN_FLIGHT_QUERIES } from '../limits.js'
import type { Reply } from '../replies.js'
import { route } from './routes.js'

/** Error codes after which this process must not go on: the store needs a reopen (crash-only). */
const FATAL_CODES: ReadonlySet<string> = new Set(['APPEND_FAILED', 'POISONED'])

export interface LedgerServerOptions {
  /** Loopback only. Default `127.0.0.1`. */
  readonly host?: string
  /** 0 picks a free port. */
  readonly port: number
  /**
   * Called once when a store reports a failure that only a reopen can clear (a failed sync:
   * `POISONED`, `APPEND_FAILED`); the service process exits and is restarted.
   */
  readonly onFatal?: (error: unknown) => void
  /** Bounds of requests in progress (defaults: the limits in `limits.ts`); small ones in tests. */
  readonly maxInFlight?: { readonly command?: number; readonly query?: number }
}

export interface LedgerServer {
  readonly port: number
  /** Stops accepting, waits for the requests in progress. */
  close(): Promise<void>
  /** Drops every connection at once, mid-request: the machine lost power. */
  cut(): void
}

function codeOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined
}

function errorReply(error: unknown, onFatal: (error: unknown) => void, quiet: boolean): Reply {
  if (error instanceof LedgerError) return { status: error.status, body: { error: error.code, message: error.message } }
  const code = codeOf(error)
  if (code !== undefined && FATAL_CODES.has(code)) {
    onFatal(error)
    return { status: 503, body: { error: 'STORE_UNAVAILABLE', message: 'a store failed to make data durable; the service restarts; retry with the same key' } }
  }
  if (code === 'CLOSED') return { status: 503, body: { error: 'SHUTTING_DOWN', message: 'the service is stopping; retry with the same key' } }
  if (!quiet) process.stderr.write(`ledger: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  return { status: 500, body: { error: 'INTERNAL', message: 'unexpected error; the outcome is unknown; retry with the same key' } }
}

function send(res: ServerResponse, reply: Reply, close = false): void {
  if (res.headersSent || res.destroyed) return
  const headers: Record<string, string> = close ? { connection: 'close' } : {}
  if (reply.status === 503) headers['retry-after'] = '1'
  if (reply.text !== undefined) {
    res.writeHead(reply.status, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(reply.text)
  } else {
    res.writeHead(reply.status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(reply.body))
  }
}

/**
 * The ledger's HTTP API on loopback (`node:http`). Commands and queries each have a bounded
 * number of requests in progress ({@link MAX_IN_FLIGHT_COMMANDS}, {@link MAX_IN_FLIGHT_QUERIES});
 * a request beyond the bound is answered 503 `OVERLOADED` at once, so the service sheds load
 * instead of queueing without limit. Every refusal is JSON `{ error: CODE, message }`.
 */
export async function startLedgerServer(ledger: Ledger, options: LedgerServerOptions): Promise<LedgerServer> {
  let fatal = false
  // After a power cut the handlers still running fail on the dead disk: nobody to tell.
  let cutOff = false
  const onFatal = (error: unknown): void => {
    if (fatal) return
    fatal = true
    options.onFatal?.(error)
  }
  const inFlight = { command: 0, query: 0 }
  const limit = { command: options.maxInFlight?.command ?? MAX_IN_FLIGHT_COMMANDS, query: options.maxInFlight?.query ?? MAX_IN_FLIGHT_QUERIES }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ledger')
    const found = route(req.method ?? 'GET', url.pathname)
    if (found === undefined) {
      req.resume()
      return send(res, { status: 404, body: { error: 'NO_SUCH_ROUTE', message: `${req.method} ${url.pathname} is not part of the API` } })
    }
    if (inFlight[found.kind] >= limit[found.kind]) {
      req.resume()
      return send(res, { status: 503, body: { error: 'OVERLOADED', message: `more than ${limit[found.kind]} ${found.kind}s in progress; retry later` } }, true)
    }
    inFlight[found.kind]++
    let reply: Reply
    try {
      reply = await found.handle(ledger, req, url)
    } catch (error) {
      reply = errorReply(error, onFatal, cutOff)
    } finally {
      inFlight[found.kind]--
    }
    // A refusal before the body was read (413, bad key) closes the connection: its rest is unread.
    send(res, reply, !req.complete)
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, errorReply(error, onFatal, cutOff), true))
  })
  server.requestTimeout = 15_000
  server.headersTimeout = 10_000
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      }),
    cut: () => {
      cutOff = true
      server.closeAllConnections()
      server.close()
    },
  }
}
