import { resolveStore } from '../detect.js'
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
  const n = await (await handlerFor(store.kind)).dump(store, range, (record) => writeOut(ctx.io.stdout, jsonLine(record)), ctx)
  if (!ctx.json) await ctx.note(ctx.err.dim(`${n} record(s) from ${store.path} (${store.kind})`))
  return EXIT_OK
}
