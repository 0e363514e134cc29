// The ledger service process: opens (and so recovers) the ledger in --data, serves the HTTP
// API on 127.0.0.1:--port, and prints one line `ready <json>` once it accepts requests. The
// demo's chaos driver SIGKILLs it at random and starts it again. SIGTERM closes it cleanly.
//
// Usage: service-main.ts --data <dir> --port <n> [--backend wal|ndjson|record-keeper|postgres]
//                        [--pg-url <url> --pg-schema <name>] [--break projection-twice]
import { Command, Option } from 'commander'
import { BACKENDS, type BackendName } from './backends.js'
import { startLedgerServer } from './http/server.js'
import { Ledger } from './ledger.js'
import { positionNumber } from './replies.js'

const started = performance.now()
const args = new Command()
  .requiredOption('--data <dir>', 'the ledger directory')
  .requiredOption('--port <n>', 'TCP port on 127.0.0.1', (v) => Number(v))
  .addOption(new Option('--backend <name>', 'event store backend').choices(BACKENDS).default('wal'))
  .option('--pg-url <url>', 'PostgreSQL connection string (--backend postgres)')
  .option('--pg-schema <name>', 'PostgreSQL schema (--backend postgres)', 'quire_demo')
  .addOption(new Option('--break <fault>', 'inject a fault on purpose').choices(['projection-twice']))
  .parse()
  .opts<{ data: string; port: number; backend: BackendName; pgUrl?: string; pgSchema: string; break?: string }>()

const ledger = await Ledger.open({
  dir: args.data,
  backend: args.backend,
  ...(args.pgUrl === undefined ? {} : { postgres: { connectionString: args.pgUrl, schema: args.pgSchema } }),
  ...(args.break === 'projection-twice' ? { faults: { applyTwice: true } } : {}),
})
const openMs = performance.now() - started
// Crash-only: a store that failed a sync is not trusted again in this process; a restart recovers.
const fatal = (error: unknown): never => {
  process.stdout.write(`fatal ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}
await ledger.startBackground()
ledger.onBackgroundFailure(fatal)
const server = await startLedgerServer(ledger, { port: args.port, onFatal: fatal })
process.stdout.write(
  `ready ${JSON.stringify({ port: server.port, openMs: Math.round(openMs), logPosition: positionNumber(ledger.head), projectedPosition: positionNumber(ledger.projector.position) })}\n`,
)

process.once('SIGTERM', () => {
  void (async () => {
    await server.close()
    await ledger.close()
    process.exit(0)
  })()
})
