import { CliError } from '../cli-error.js'
import { resolveStore, STORE_KINDS, type StoreKind } from '../detect.js'
import { EXIT_OK, type ExitCode } from '../exit-codes.js'
import { writeOut } from '../io.js'
import { jsonLine } from '../json-value.js'
import type { DumpRange } from '../stores/handler.js'
import { handlerFor } from '../stores/registry.js'
import type { CommandContext } from './context.js'

/**
 * `quire dump <path>`: entries as NDJSON on standard output, one JSON object a line, read-only.
 * With `--json` a last line `{"dumped": n}` is not added: the output stays pure NDJSON; the count
 * goes to standard error for a person.
 */
export async function dumpCommand(ctx: CommandContext, path: string, kind: string | undefined, range: DumpRange): Promise<ExitCode> {
  const store = await resolveStore(path, kind)
  checkDumpOptions(store.kind, range)
  const n = await (await handlerFor(store.kind)).dump(store, range, (record) => writeOut(ctx.io.stdout, jsonLine(record)), ctx)
  if (!ctx.json) await ctx.note(ctx.err.dim(`${n} record(s) from ${store.path} (${store.kind})`))
  return EXIT_OK
}

type DumpOption = keyof DumpRange

const EVENT_STORE_OPTIONS: readonly DumpOption[] = ['from', 'to', 'stream', 'prefix', 'system']

/** The `dump` options each kind of store reads (the others would be silently ignored). */
const DUMP_OPTIONS: Readonly<Record<StoreKind, readonly DumpOption[]>> = {
  wal: ['from', 'to', 'prefix'],
  'ndjson-log': ['from', 'to'],
  snapshots: ['prefix', 'all'],
  'record-keeper': ['from', 'to'],
  mvcc: ['from', 'to', 'prefix'],
  'event-store-wal': EVENT_STORE_OPTIONS,
  'event-store-ndjson': EVENT_STORE_OPTIONS,
  'event-store-record-keeper': EVENT_STORE_OPTIONS,
  'event-store-postgres': EVENT_STORE_OPTIONS,
}

const flag = (o: DumpOption): string => `--${o}`

/**
 * Refuses an option the store's kind does not read, naming the kinds it applies to, rather than
 * dumping everything as if it had been honoured.
 *
 * @throws `CliError` `INVALID_ARGUMENT`.
 */
function checkDumpOptions(kind: StoreKind, range: DumpRange): void {
  for (const option of Object.keys(range) as DumpOption[]) {
    if (!DUMP_OPTIONS[kind].includes(option)) {
      const kinds = STORE_KINDS.filter((k) => DUMP_OPTIONS[k].includes(option))
      throw new CliError('INVALID_ARGUMENT', `${flag(option)} does not apply to a ${kind} store; it applies to: ${kinds.join(', ')}`)
    }
  }
  if (range.stream !== undefined) {
    for (const option of ['prefix', 'system'] as const) {
      if (range[option] !== undefined) throw new CliError('INVALID_ARGUMENT', `${flag(option)} does not apply with --stream (it filters $all); use one or the other`)
    }
  }
}
