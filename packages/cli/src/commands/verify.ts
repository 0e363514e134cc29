import { resolveStore } from '../detect.js'
import { EXIT_DAMAGE, EXIT_OK, type ExitCode } from '../exit-codes.js'
import { locksOf } from '../lock-info.js'
import type { Damage } from '../stores/handler.js'
import { handlerFor } from '../stores/registry.js'
import type { CommandContext } from './context.js'
import { describeLock } from './describe-lock.js'

/** Where a piece of damage is, for a person: `file at byte N` or `file line N`. */
export function whereOf(d: { file: string; offset?: number; line?: number }): string {
  return d.offset !== undefined ? `${d.file} at byte ${d.offset}` : d.line !== undefined ? `${d.file} line ${d.line}` : d.file
}

/**
 * `quire verify <path>`: every check the store's packages offer, read-only (no lock, nothing
 * written). Exit 0 clean, 1 damage found (each named by file and offset or line), 2 could not run.
 */
export async function verifyCommand(ctx: CommandContext, path: string, kind: string | undefined): Promise<ExitCode> {
  const store = await resolveStore(path, kind)
  const locks = await locksOf(store)
  const found = await (await handlerFor(store.kind)).verify(store, ctx)
  // Next to a live writer an incomplete tail is its appends in flight (or space it reserved
  // ahead), not damage: a writable open cannot happen while it holds the lock.
  const writerAlive = locks.some((l) => l.holder === 'alive')
  const inFlight = writerAlive ? found.damage.filter((d) => d.tornTail === true) : []
  const findings = {
    ...found,
    damage: found.damage.filter((d) => !inFlight.includes(d)),
    warnings: [...found.warnings, ...inFlight.map((d) => `${whereOf(d)}: an incomplete tail next to the live writer (its appends in flight), not counted as damage`)],
  }
  const ok = findings.damage.length === 0
  if (ctx.json) {
    await ctx.document({ command: 'verify', path: store.path, kind: store.kind, ok, checked: findings.checked, damage: findings.damage, warnings: findings.warnings, info: findings.info ?? [], locks })
    return ok ? EXIT_OK : EXIT_DAMAGE
  }
  const c = ctx.out
  await ctx.line(`verified ${store.path} (${store.kind})`)
  const checked = Object.entries(findings.checked).map(([k, v]) => `${k} ${v}`).join(', ')
  await ctx.line(`checked: ${checked === '' ? 'nothing counted (reading stopped at the damage below)' : checked}`)
  for (const l of locks) await ctx.line(`lock: ${describeLock(l, c)}`)
  for (const i of findings.info ?? []) await ctx.line(`info: ${i}`)
  for (const w of findings.warnings) await ctx.line(`${c.yellow('warning')}: ${w}`)
  if (ok) {
    await ctx.line(c.green('OK: no damage found'))
    return EXIT_OK
  }
  await ctx.line(c.red(`DAMAGE: ${findings.damage.length} problem(s)`))
  for (const d of findings.damage) await ctx.line(`  ${whereOf(d)}: ${describeDamage(d)}`)
  await ctx.line(`run \`quire repair ${store.path}\` to see what recovery would do`)
  return EXIT_DAMAGE
}

const describeDamage = (d: Damage): string => (d.code !== undefined ? `[${d.code}] ${d.problem}` : d.problem)
