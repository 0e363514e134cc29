import { request, type Agent } from 'node:http'

/** A reply the client got. `body` is the parsed JSON (or the text of a text reply). */
export interface HttpResult {
  readonly status: number
  readonly body: Record<string, unknown>
}

/** Counters the generator reports every tick. */
export interface ClientCounters {
  retries: number
  timeouts: number
  shed: number
}

/** How long a client waits for a reply before it gives up on that attempt and retries, in ms. */
export const REQUEST_TIMEOUT_MS = 3_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Statuses after which the outcome is unknown or the service asked for a retry: same key again. */
const retryable = (status: number): boolean => status === 503 || status >= 500

/**
 * An HTTP client of the ledger on 127.0.0.1, with keep-alive. `command` retries on timeouts,
 * refused or reset connections (the service was killed) and 5xx/503 — always with the same
 * idempotency key, which is what makes a retry safe.
 */
export class LedgerClient {
  readonly #port: number
  readonly #agent: Agent
  readonly #counters: ClientCounters
  readonly #stopping: () => boolean

  constructor(port: number, agent: Agent, counters: ClientCounters, stopping: () => boolean) {
    this.#port = port
    this.#agent = agent
    this.#counters = counters
    this.#stopping = stopping
  }

  /** One attempt. Rejects on a network error or after {@link REQUEST_TIMEOUT_MS}. */
  request(method: string, path: string, options: { readonly key?: string; readonly body?: string } = {}): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {}
      if (options.key !== undefined) headers['idempotency-key'] = options.key
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json'
        headers['content-length'] = String(Buffer.byteLength(options.body))
      }
      const req = request({ host: '127.0.0.1', port: this.#port, method, path, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: Record<string, unknown>
          try {
            body = (res.headers['content-type'] ?? '').startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : { text }
          } catch {
            body = { text }
          }
          resolve({ status: res.statusCode ?? 0, body })
        })
      })
      req.setTimeout(REQUEST_TIMEOUT_MS, () => {
        this.#counters.timeouts++
        req.destroy(new Error('timeout'))
      })
      req.on('error', reject)
      req.end(options.body)
    })
  }

  /**
   * Sends until a definitive reply (2xx or 4xx) comes, retrying with the same key after a
   * jittered pause. Resolves `undefined` when the generator stops first: outcome unknown.
   */
  async command(method: string, path: string, key: string | undefined, body: string | undefined): Promise<HttpResult | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (this.#stopping()) return undefined
      try {
        const result = await this.request(method, path, { ...(key === undefined ? {} : { key }), ...(body === undefined ? {} : { body }) })
        if (!retryable(result.status)) return result
        if (result.status === 503) this.#counters.shed++
      } catch {
        // Refused, reset or timed out: the service may be down, or it may have booked it. Same key again.
      }
      this.#counters.retries++
      await sleep(50 + Math.random() * Math.min(400, 50 * 2 ** Math.min(attempt, 4)))
    }
  }
}
