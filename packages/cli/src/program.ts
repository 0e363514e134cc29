import { createRequire } from 'node:module'
import { Command, CommanderError, Option } from 'commander'
import { CliError } from './cli-error.js'
import { CommandContext, type CommonOptions } from './commands/context.js'
import { dumpCommand } from './commands/dump.js'
import { infoCommand } from './commands/info.js'
import { repairCommand } from './commands/repair.js'
import { verifyCommand } from './commands/verify.js'
import { STORE_KINDS } from './detect.js'
import { EXIT_FAILED, EXIT_OK, type ExitCode } from './exit-codes.js'
import { coloursFor, processIo, type CliIo } from './io.js'
import { plainError } from './plain-error.js'
import { extraCommands } from './program-extra.js'

/**
 * The version printed by `quire --version`: the package's own, read from its package.json (one
 * directory above both `src/` and `dist/`), so a release's version bump needs no code change.
 */
export const CLI_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version

const examples = (lines: readonly string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`

/** Adds the options every store command takes. */
export function withCommon(cmd: Command): Command {
  return cmd
    .option('--json', 'one JSON document on standard output (for scripts)')
    .addOption(new Option('--kind <kind>', 'the kind of store, when detection should not guess').choices(STORE_KINDS))
    .option('--schema <name>', 'PostgreSQL schema of an event store (default: quire)')
    .addOption(new Option('--progress <when>', 'progress bar on standard error').choices(['auto', 'always', 'never']).default('auto'))
}

/** What an action returns: its exit code. */
export type Action = (ctx: CommandContext, ...args: unknown[]) => Promise<ExitCode>

/**
 * Builds the `quire` program. `settle` receives each action's exit code; errors thrown by an
 * action are shown by {@link run}.
 */
function buildProgram(io: CliIo, settle: (code: ExitCode, ctx?: CommandContext) => void, bind: (ctx: CommandContext) => void): Command {
  const program = new Command('quire')
    .description('Inspect, verify, dump, repair, export and benchmark Quire stores.\nExit codes: 0 clean, 1 damage found (or work left), 2 could not run.')
    .version(CLI_VERSION)
    .addHelpText('after', examples(['quire info ./data/events', 'quire verify ./data/events && echo clean', 'quire dump ./data/events --stream account-7 | jq .type', 'quire repair ./data/events --yes', 'quire export ./data/events --to ./events-copy.ndjson --backend ndjson', 'quire bench wal']))
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(coloursFor(io.stderr, io.env).red(s)),
    })
    .exitOverride()
  const ctxOf = (options: CommonOptions): CommandContext => {
    const ctx = new CommandContext(io, options)
    bind(ctx)
    return ctx
  }

  withCommon(program.command('info').argument('<path>', 'store directory, NDJSON file, or postgres:// URL'))
    .description('what kind of store this is, its format version, size, counts, locks and recovery state (read-only)')
    .addHelpText('after', examples(['quire info ./data/wal', 'quire info ./data/events.ndjson --json | jq .lastSeq', 'quire info postgres://app@localhost/app --schema ledger']))
    .action(async (path: string, options: CommonOptions) => {
      const ctx = ctxOf(options)
      settle(await infoCommand(ctx, path, options.kind), ctx)
    })

  withCommon(program.command('verify').argument('<path>', 'store directory, NDJSON file, or postgres:// URL'))
    .description('check every checksum and rule of the format, read-only (no lock, nothing written); exit 0 clean, 1 damage, 2 could not run')
    .addHelpText('after', examples(['quire verify ./data/wal', 'quire verify ./data/events.ndjson --json', 'quire verify ./data/ledger --progress always']))
    .action(async (path: string, options: CommonOptions) => {
      const ctx = ctxOf(options)
      settle(await verifyCommand(ctx, path, options.kind), ctx)
    })

  withCommon(program.command('dump').argument('<path>', 'store directory, NDJSON file, or postgres:// URL'))
    .description('entries as NDJSON on standard output (read-only); binary keys and values as base64')
    .option('--from <n>', 'first seq / position / revision (with --stream) / key (mvcc) / place (record keeper)')
    .option('--to <n>', 'last seq / position / revision, inclusive (mvcc: keys below it)')
    .option('--stream <name>', 'event stores: one stream')
    .option('--prefix <text>', 'keys (WAL, MVCC, snapshots) or stream names (event stores) starting with it')
    .option('--system', 'event stores: include the $$ system events of stream commands')
    .option('--all', 'snapshots: every retained snapshot, not only the newest of each key')
    .addHelpText('after', examples(['quire dump ./data/wal --from 100 --to 200', "quire dump ./data/ledger --stream account-7 | jq -c '{revision, type}'", 'quire dump ./data/mvcc --prefix user/', 'quire dump ./data/snapshots --all']))
    .action(async (path: string, options: CommonOptions & { from?: string; to?: string; stream?: string; prefix?: string; system?: boolean; all?: boolean }) => {
      const ctx = ctxOf(options)
      const range = {
        ...(options.from !== undefined ? { from: options.from } : {}),
        ...(options.to !== undefined ? { to: options.to } : {}),
        ...(options.stream !== undefined ? { stream: options.stream } : {}),
        ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
        ...(options.system === true ? { system: true } : {}),
        ...(options.all === true ? { all: true } : {}),
      }
      settle(await dumpCommand(ctx, path, options.kind, range), ctx)
    })

  withCommon(program.command('repair').argument('<path>', 'store directory or NDJSON file'))
    .description('what a writable open with a recovery mode would do: a dry run by default, done with --yes; every removed byte is kept')
    .addOption(new Option('--mode <mode>', 'recovery mode').choices(['strict', 'point-in-time', 'skip-corrupt']).default('strict'))
    .option('--dry-run', 'only show what would be done (the default)')
    .option('--yes', 'do it (takes the writer lock: stop the writer first)')
    .addHelpText('after', examples(['quire repair ./data/wal', 'quire repair ./data/wal --mode point-in-time --yes', 'quire repair ./data/events.ndjson --mode skip-corrupt --json']))
    .action(async (path: string, options: CommonOptions & { mode: string; yes?: boolean; dryRun?: boolean }) => {
      const ctx = ctxOf(options)
      if (options.yes === true && options.dryRun === true) throw new CliError('INVALID_ARGUMENT', '--yes and --dry-run contradict each other')
      settle(await repairCommand(ctx, path, options.kind, options.mode, options.yes === true), ctx)
    })

  for (const add of extraCommands) add(program, ctxOf, settle, withCommon)
  return program
}

/**
 * Runs `quire` with `argv` (the arguments after the program name) and resolves with its exit
 * code: 0 clean, 1 damage found, 2 could not run. Writes to `io` (default: the process's streams);
 * never calls `process.exit`.
 *
 * @example
 * ```ts
 * const code = await run(['verify', './data/wal', '--json'])
 * ```
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  let code: ExitCode = EXIT_OK
  let ctx: CommandContext | undefined
  const program = buildProgram(
    io,
    (c) => {
      code = c
    },
    (c) => {
      ctx = c
    },
  )
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return code
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with exit code 0; a usage error is "could not run".
      return err.exitCode === 0 ? EXIT_OK : EXIT_FAILED
    }
    await showError(io, ctx, err)
    return EXIT_FAILED
  }
}

async function showError(io: CliIo, ctx: CommandContext | undefined, err: unknown): Promise<void> {
  const e = plainError(err)
  if (ctx?.json === true) {
    await ctx.document({ ok: false, error: e })
    return
  }
  const c = coloursFor(io.stderr, io.env)
  io.stderr.write(`${c.red(`quire: ${e.code}`)}: ${e.sentence}\n  ${e.message}\n`)
}
