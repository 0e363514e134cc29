import { Option, type Command } from 'commander'
import { BENCH_KINDS } from './bench-kinds.js'
import type { BenchOptions } from './commands/bench.js'
import type { CommandContext, CommonOptions } from './commands/context.js'
import type * as TransferModule from './commands/transfer.js'
import type { TransferOptions } from './commands/transfer.js'
import { TARGET_BACKENDS } from './target-backends.js'
import type { ExitCode } from './exit-codes.js'

// Loaded when their command runs (the event store, pg, every store for bench): start-up stays short.
const transfer = (): Promise<typeof TransferModule> => import('./commands/transfer.js')

/** Adds commands to the program (export, import, bench). */
export type AddCommand = (program: Command, ctxOf: (options: CommonOptions) => CommandContext, settle: (code: ExitCode, ctx?: CommandContext) => void, withCommon: (cmd: Command) => Command) => void

const examples = (lines: readonly string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`

const addExport: AddCommand = (program, ctxOf, settle, withCommon) => {
  withCommon(program.command('export').argument('<source>', 'event store: directory, NDJSON file, or postgres:// URL'))
    .description('an event store\'s events (ids, revisions, positions, system events) as export lines, or straight into a new store with --to (verified at the end)')
    .option('--out <file>', 'write the export lines to a new file instead of standard output')
    .option('--to <target>', 'copy into a new, empty event store here (a path, or a postgres:// URL)')
    .addOption(new Option('--backend <backend>', 'backend of the new store').choices(TARGET_BACKENDS))
    .option('--target-schema <name>', 'PostgreSQL schema of the target (default: --schema)')
    .addHelpText('after', examples(['quire export ./data/ledger --to ./copy.ndjson --backend ndjson', 'quire export ./data/ledger --to postgres://app@localhost/app --target-schema ledger', 'quire export ./data/ledger > ledger.export.ndjson']))
    .action(async (source: string, options: CommonOptions & TransferOptions) => {
      const ctx = ctxOf(options)
      settle(await (await transfer()).exportCommand(ctx, source, options.kind, options), ctx)
    })
}

const addImport: AddCommand = (program, ctxOf, settle, withCommon) => {
  withCommon(program.command('import').argument('<target>', 'a new event store: directory, NDJSON file, or postgres:// URL'))
    .description('export lines (from quire export) into a new, empty event store, verified at the end')
    .option('--in <file>', 'read the export lines from this file (default: standard input)')
    .addOption(new Option('--backend <backend>', 'backend of the new store').choices(TARGET_BACKENDS))
    .option('--target-schema <name>', 'PostgreSQL schema of the target (default: --schema)')
    .addHelpText('after', examples(['quire export ./data/ledger | quire import ./copy --backend wal', 'quire import postgres://app@localhost/app --target-schema ledger --in ledger.export.ndjson']))
    .action(async (target: string, options: CommonOptions & TransferOptions) => {
      const ctx = ctxOf(options)
      settle(await (await transfer()).importCommand(ctx, target, options), ctx)
    })
}

const addBench: AddCommand = (program, ctxOf, settle) => {
  program
    .command('bench')
    .argument('<kind>', `what to measure: ${BENCH_KINDS.join(', ')}`)
    .description('durable appends on your disk against the raw write + fdatasync floor (a new directory, removed afterwards)')
    .option('--dir <dir>', 'where to write (default: the current directory: measure the disk your store will use)')
    .option('--seconds <s>', 'seconds per subject', '3')
    .option('--bytes <n>', 'bytes per value', '100')
    .option('--writers <n>', 'concurrent writers for the group-commit figure', '64')
    .option('--json', 'one JSON document on standard output')
    .addHelpText('after', examples(['quire bench wal', 'quire bench event-store --dir /data --seconds 10', 'quire bench ndjson-log --json']))
    .action(async (kind: string, options: CommonOptions & BenchOptions) => {
      const ctx = ctxOf(options)
      settle(await (await import('./commands/bench.js')).benchCommand(ctx, kind, options), ctx)
    })
}

/** The commands registered besides info, verify, dump and repair. */
export const extraCommands: readonly AddCommand[] = [addExport, addImport, addBench]
