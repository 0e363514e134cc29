import { resolveStore } from '../detect.js'
import { EXIT_DAMAGE, EXIT_FAILED, EXIT_OK, type ExitCode } from '../exit-codes.js'
import { CliError } from '../cli-error.js'
import type { RepairRequest } from '../stores/handler.js'
import { locksOf } from '../lock-info.js'
import { handlerFor } from '../stores/registry.js'
import type { CommandContext } from './context.js'
import { whereOf } from './verify.js'

const MODES = ['strict', 'point-in-time', 'skip-corrupt'] as const

/** Actions on the end of a log that, next to a live writer, are its appends in flight. */
const IN_FLIGHT: ReadonlySet<string> = new Set(['cut-torn-tail', 'removed-torn-segment'])

/**
 * `quire repair <path>`: what a writable open with the chosen recovery mode does, shown as a dry
 * run (default, read-only) or done with `--yes` (takes the writer lock). Every byte removed is
 * kept: in the packages' quarantine files, or copied next to the store where a package deletes
 * without one. Exit 0 when nothing is left to do, 1 when a dry run found work or a mode refused.
 */
export async function repairCommand(ctx: CommandContext, path: string, kind: string | undefined, mode: string, apply: boolean): Promise<ExitCode> {
  if (!(MODES as readonly string[]).includes(mode)) throw new CliError('INVALID_ARGUMENT', `--mode must be one of ${MODES.join(', ')}, got ${mode}`)
  if (mode === 'skip-corrupt' && apply) {
    // Opening with skip-corrupt skips damage on read and rewrites nothing: --yes would remove no byte.
    throw new CliError('INVALID_ARGUMENT', '--mode skip-corrupt is a read mode: a store opened with it skips the damaged frames or lines when reading but removes nothing, so --yes would change no byte. To remove the damage (kept in quarantine files) run quire repair <path> --mode point-in-time --yes; to read past it, run the dry run (quire repair <path> --mode skip-corrupt) or quire dump')
  }
  const store = await resolveStore(path, kind)
  const request: RepairRequest = { mode: mode as RepairRequest['mode'], apply }
  const locks = apply ? [] : await locksOf(store)
  const live = locks.filter((l) => l.holder === 'alive')
  let outcome = await (await handlerFor(store.kind)).repair(store, request, ctx)
  if (mode === 'skip-corrupt' && outcome.actions.length > 0) outcome = { ...outcome, notes: [...outcome.notes, 'skip-corrupt removes no byte (it only skips on read, and --yes is refused with it); --mode point-in-time --yes removes the damage into quarantine files'] }
  if (live.length > 0) {
    // Next to a live writer an incomplete tail is its appends in flight, not work to do (as verify says).
    const inFlight = outcome.actions.filter((a) => IN_FLIGHT.has(a.action))
    outcome = {
      ...outcome,
      actions: outcome.actions.filter((a) => !IN_FLIGHT.has(a.action)),
      notes: [
        `the store is in use: ${live.map((l) => `${l.file} is held by pid ${l.pid ?? '?'}`).join(', ')}; --yes would be refused with LOCKED (stop the writer first)`,
        ...inFlight.map((a) => `${whereOf(a)}: an incomplete tail next to the live writer (its appends in flight), not work to do`),
        ...outcome.notes.filter((n) => n !== 'nothing to repair' || inFlight.length === 0),
      ],
    }
  }
  const refused = outcome.actions.length === 0 && outcome.notes.some((n) => n.startsWith('strict recovery refuses'))
  const pending = !apply && outcome.actions.length > 0
  const code = outcome.failed !== undefined ? EXIT_FAILED : refused || pending ? EXIT_DAMAGE : EXIT_OK
  if (ctx.json) {
    await ctx.document({ command: 'repair', path: store.path, kind: store.kind, mode, dryRun: !apply, actions: outcome.actions, notes: outcome.notes, ...(outcome.failed !== undefined ? { error: outcome.failed } : {}) })
    return code
  }
  const c = ctx.out
  const head = outcome.failed !== undefined ? c.red('repair failed part-way') : !apply ? c.bold('dry run') : outcome.actions.length > 0 ? 'repaired' : 'checked, nothing changed'
  await ctx.line(`${head}: ${store.path} (${store.kind}), recovery mode ${mode}`)
  for (const a of outcome.actions) {
    const bytes = a.bytes !== undefined ? ` (${a.bytes} bytes)` : ''
    const kept = a.preservedIn !== undefined ? `\n      kept in ${a.preservedIn}` : apply ? '' : ''
    const verb = apply ? c.green('done') : mode === 'skip-corrupt' ? c.yellow('a skip-corrupt open would skip (remove nothing)') : c.yellow('would do')
    await ctx.line(`  ${verb}: ${a.action} ${whereOf(a)}${bytes}: ${a.reason}${kept}`)
  }
  for (const n of outcome.notes) await ctx.line(`  ${n}`)
  if (outcome.failed !== undefined) await ctx.line(`  then failed: ${outcome.failed.code}: ${outcome.failed.message} (the actions above were done)`)
  if (pending && mode !== 'skip-corrupt') await ctx.line(`run again with --yes to do it (the bytes removed are kept in quarantine files or a copy next to the store)`)
  return code
}
