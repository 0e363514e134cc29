import { resolveStore } from '../detect.js'
import { EXIT_OK, type ExitCode } from '../exit-codes.js'
import { locksOf } from '../lock-info.js'
import { handlerFor } from '../stores/registry.js'
import { treeSize } from '../tree-size.js'
import { formatBytes, type CommandContext } from './context.js'
import { describeLock } from './describe-lock.js'

/** `quire info <path>`: kind, format version, size, counts, locks, recovery state. Read-only. */
export async function infoCommand(ctx: CommandContext, path: string, kind: string | undefined): Promise<ExitCode> {
  const store = await resolveStore(path, kind)
  const size = await treeSize(store)
  const locks = await locksOf(store)
  const found = await (await handlerFor(store.kind)).info(store, ctx)
  const live = locks.filter((l) => l.holder === 'alive')
  // Next to a live writer a writable open gets LOCKED, and an incomplete tail is its appends in flight.
  const details = live.length === 0 ? found : { ...found, recovery: `in use by a live writer (${live.map((l) => `pid ${l.pid ?? '?'}`).join(', ')}): a writable open (repair --yes) would get LOCKED; an incomplete tail is its appends in flight` }
  if (ctx.json) {
    await ctx.document({ command: 'info', path: store.path, kind: store.kind, formatVersion: store.formatVersion ?? null, detectedBy: store.evidence, sizeBytes: size.bytes, files: size.files, locks, ...details })
    return EXIT_OK
  }
  const c = ctx.out
  const rows: [string, string][] = [
    ['store', `${store.path}`],
    ['kind', `${c.bold(store.kind)} (format version ${store.formatVersion ?? '-'}; from ${store.evidence})`],
    ['size', store.kind === 'event-store-postgres' ? '-' : `${formatBytes(size.bytes)} in ${size.files} file(s)`],
  ]
  for (const [k, v] of Object.entries(details)) {
    if (k === 'recovery') continue
    rows.push([k, typeof v === 'object' && v !== null ? Object.entries(v).map(([a, b]) => `${a} ${String(b)}`).join(', ') : String(v)])
  }
  rows.push(['lock', locks.length === 0 ? 'none' : locks.map((l) => describeLock(l, c)).join('\n' + ' '.repeat(14))])
  const recovery = typeof details.recovery === 'string' ? details.recovery : 'clean'
  rows.push(['recovery', recovery === 'clean' ? c.green('clean') : c.yellow(recovery)])
  for (const [k, v] of rows) await ctx.line(`${k.padEnd(13)} ${v}`)
  return EXIT_OK
}
