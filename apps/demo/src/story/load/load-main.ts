// The load generator: its own process, many concurrent clients sending a realistic mix of
// commands and queries to the ledger service over HTTP, retrying on timeouts and refused
// connections with the same idempotency keys. It reports every definitive reply as a JSON line
// (see protocol.ts) and stops on a `stop` line on stdin or SIGTERM.
//
// Usage: load-main.ts --port <n> --seed <n> --clients <n> --accounts <n>
import { Agent } from 'node:http'
import { createInterface } from 'node:readline'
import { Command as Cli } from 'commander'
import type { Command } from '../../ledger/domain/commands.js'
import { Prng } from '../prng.js'
import { LedgerClient, type ClientCounters, type HttpResult } from './client.js'
import { OPENING_DEPOSIT_CENTS, accountName, badRequest, nextStep, pickAccount, requestOf } from './mix.js'
import { encodeMessage, type LoadMessage } from './protocol.js'

const args = new Cli()
  .requiredOption('--port <n>', 'service port', Number)
  .requiredOption('--seed <n>', 'seed', Number)
  .requiredOption('--clients <n>', 'concurrent clients', Number)
  .requiredOption('--accounts <n>', 'accounts', Number)
  .parse()
  .opts<{ port: number; seed: number; clients: number; accounts: number }>()

const say = (message: LoadMessage): void => {
  process.stdout.write(encodeMessage(message))
}

let stopping = false
const agent = new Agent({ keepAlive: true, maxSockets: args.clients + 4 })
const counters: ClientCounters = { retries: 0, timeouts: 0, shed: 0 }
const client = new LedgerClient(args.port, agent, counters, () => stopping)
const reads = { ok: 0, failed: 0 }
let unknown = 0

/** Acknowledged commands a client may repeat exactly (bounded: the newest 2 000). */
const acknowledged: { readonly key: string; readonly command: Command; readonly status: number }[] = []
const documents: { readonly objectId: string; readonly position: number }[] = []

function remember(key: string, command: Command, result: HttpResult): void {
  if (result.status >= 300 && result.body.declined !== true) return
  acknowledged.push({ key, command, status: result.status })
  if (acknowledged.length > 2_000) acknowledged.shift()
  if (command.kind === 'statement' && typeof result.body.objectId === 'string' && typeof result.body.position === 'number') {
    documents.push({ objectId: result.body.objectId, position: result.body.position })
    if (documents.length > 200) documents.shift()
  }
}

/** Sends a command until it gets a definitive reply; reports it. Returns the reply's position. */
async function send(key: string, command: Command, again = false): Promise<number | undefined> {
  const { path, body } = requestOf(command)
  const result = await client.command('POST', path, key, body)
  if (result === undefined) {
    unknown++
    return undefined
  }
  const position = typeof result.body.position === 'number' ? result.body.position : undefined
  const code = typeof result.body.error === 'string' ? result.body.error : undefined
  const objectId = typeof result.body.objectId === 'string' ? result.body.objectId : undefined
  say({
    t: 'cmd',
    key,
    cmd: command,
    status: result.status,
    ...(code === undefined ? {} : { code }),
    replay: result.body.replay === true,
    again,
    ...(position === undefined ? {} : { position }),
    ...(objectId === undefined ? {} : { objectId }),
  })
  if (!again) remember(key, command, result)
  return position
}

async function read(path: string): Promise<void> {
  try {
    const result = await client.request('GET', path)
    if (result.status === 200) reads.ok++
    else reads.failed++
  } catch {
    reads.failed++
  }
}

async function worker(id: number): Promise<void> {
  const rng = new Prng(args.seed * 7919 + id)
  let lastPosition: number | undefined
  for (let n = 0; !stopping; n++) {
    const key = `s${args.seed}-c${id}-${n}`
    const step = nextStep(rng, args.accounts)
    switch (step.kind) {
      case 'command':
        lastPosition = (await send(key, step.command)) ?? lastPosition
        break
      case 'repeat': {
        const old = acknowledged.length === 0 ? undefined : acknowledged[rng.int(0, acknowledged.length - 1)]
        if (old !== undefined) await send(old.key, old.command, true)
        break
      }
      case 'bad': {
        const reusable = acknowledged.length === 0 ? undefined : acknowledged[rng.int(0, acknowledged.length - 1)]
        const bad = badRequest(rng, `${key}-bad`, args.accounts, reusable)
        const result = await client.command(bad.method, bad.path, bad.key, bad.body)
        if (result === undefined) break
        say({ t: 'bad', key: bad.key ?? '', kind: bad.kind, status: result.status, expected: bad.expected, ok: bad.expected.includes(result.status) })
        break
      }
      case 'read': {
        const account = pickAccount(rng, args.accounts)
        const atLeast = lastPosition !== undefined && rng.next() < 0.3 ? `?atLeast=${lastPosition}` : ''
        if (step.what === 'account') await read(`/accounts/${account}${atLeast}`)
        else if (step.what === 'statement') await read(`/accounts/${account}/statement?limit=10`)
        else if (step.what === 'totals') await read('/totals')
        else if (step.what === 'health') await read('/health')
        else {
          const doc = documents.length === 0 ? undefined : documents[rng.int(0, documents.length - 1)]
          await read(doc === undefined ? '/totals' : `/documents/${doc.objectId}?atLeast=${doc.position}`)
        }
        break
      }
    }
  }
}

/** Runs `fn` for every index with at most `clients` at once. */
async function pool(count: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(args.clients, count) }, async () => {
      while (next < count && !stopping) await fn(next++)
    }),
  )
}

const ticker = setInterval(() => {
  say({ t: 'tick', reads: reads.ok, readFailures: reads.failed, shed: counters.shed, retries: counters.retries, timeouts: counters.timeouts })
  reads.ok = reads.failed = counters.shed = counters.retries = counters.timeouts = 0
}, 250)

function stop(): void {
  if (stopping) return
  stopping = true
  // Drop every open request: their commands' outcomes stay unknown, which the checks allow.
  agent.destroy()
}
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stop') stop()
})
process.once('SIGTERM', stop)

// Open and fund every account (retried like any command until they are acknowledged).
await pool(args.accounts, (i) => send(`s${args.seed}-open-${i}`, { kind: 'open', accountId: accountName(i), owner: `Owner ${i}` }))
await pool(args.accounts, (i) => send(`s${args.seed}-fund-${i}`, { kind: 'deposit', accountId: accountName(i), amount: OPENING_DEPOSIT_CENTS }))
if (!stopping) say({ t: 'ready', accounts: args.accounts })
await Promise.all(Array.from({ length: args.clients }, (_, id) => worker(id)))
clearInterval(ticker)
say({ t: 'tick', reads: reads.ok, readFailures: reads.failed, shed: counters.shed, retries: counters.retries, timeouts: counters.timeouts })
// Exit once the last line is flushed (stdin's reader would keep the process alive).
process.stdout.write(encodeMessage({ t: 'done', unknown }), () => process.exit(0))
