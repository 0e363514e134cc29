import { createReadStream, createWriteStream } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { finished } from 'node:stream/promises'
import type { EventStore } from '@quire/event-store'
import { CliError } from '../cli-error.js'
import { isPostgresUrl, resolveStore } from '../detect.js'
import { EXIT_DAMAGE, EXIT_OK, type ExitCode } from '../exit-codes.js'
import { writeOut } from '../io.js'
import { allEvents, appendEvents, eventDigest, exportLine, openTarget, parseExportLine, type ExportedEvent, type ExportHeader, type ExportTrailer } from '../event-transfer.js'
import { codeOf, messageOf } from '../plain-error.js'
import { TargetUndo } from '../target-undo.js'
import { TARGET_BACKENDS, type TargetBackend } from '../target-backends.js'
import { openEventStoreReadOnly } from '../stores/event-store.js'
import type { CommandContext } from './context.js'

/** Options of `export` and `import`. */
export interface TransferOptions {
  readonly to?: string
  readonly out?: string
  readonly in?: string
  readonly backend?: string
  /** Schema of a PostgreSQL target (default: the same as `--schema`). */
  readonly targetSchema?: string
}

const SYSTEM = (e: ExportedEvent): boolean => e.streamName.startsWith('$$')

/** What a copy must reproduce, recorded while the source is read. */
class Expectation {
  readonly digests: string[] = []
  readonly positions: number[] = []
  gapFree = true
  readonly #withTime: boolean

  constructor(withTime: boolean) {
    this.#withTime = withTime
  }

  /** Passes events through, remembering each. */
  async *record(events: AsyncIterable<ExportedEvent>): AsyncIterable<ExportedEvent> {
    for await (const e of events) {
      this.positions.push(e.position)
      if (e.position !== this.positions.length) this.gapFree = false
      this.digests.push(eventDigest(e, false, !SYSTEM(e), this.#withTime))
      yield e
    }
  }

  /** Compares `actual` with what was recorded; resolves with the differences (at most 20). */
  async compare(actual: AsyncIterable<ExportedEvent>, withPositions: boolean): Promise<string[]> {
    const problems: string[] = []
    let i = 0
    for await (const e of actual) {
      if (problems.length >= 20) break
      const want = this.digests[i]
      if (want === undefined) problems.push(`the copy has an extra event at position ${e.position}`)
      else if (eventDigest(e, false, !SYSTEM(e), this.#withTime) !== want) problems.push(`event ${i + 1} (position ${e.position}, ${e.streamName}@${e.revision}) differs from the source's`)
      else if (withPositions && e.position !== this.positions[i]) problems.push(`event ${i + 1} is at position ${e.position}, was ${this.positions[i]}`)
      i++
    }
    if (i < this.digests.length && problems.length < 20) problems.push(`the copy has ${i} events, the source ${this.digests.length}`)
    return problems
  }
}

function backendArg(value: string | undefined): TargetBackend | undefined {
  if (value === undefined) return undefined
  if (!(TARGET_BACKENDS as readonly string[]).includes(value)) throw new CliError('INVALID_ARGUMENT', `--backend must be one of ${TARGET_BACKENDS.join(', ')}, got ${value}`)
  return value as TargetBackend
}

/** Appends `events` to a new store at `targetPath`, reopens it and compares; reports. */
async function copyInto(ctx: CommandContext, command: 'export' | 'import', source: string, target_: string, options: TransferOptions, events: AsyncIterable<ExportedEvent>, total: number, headerGapFree: boolean | undefined): Promise<ExitCode> {
  const targetPath = isPostgresUrl(target_) ? target_ : resolve(target_)
  const backend = backendArg(options.backend)
  const toPostgres = isPostgresUrl(targetPath)
  const schema = options.targetSchema ?? ctx.schema
  const clock = { at: Date.now() }
  const expect = new Expectation(!toPostgres)
  const undo = await TargetUndo.record(targetPath, backend)
  const target = await openTarget(targetPath, backend, schema, clock)
  const progress = ctx.progress(`${command} → ${targetPath}`, total)
  let tally
  try {
    tally = await appendEvents(target, expect.record(events), clock, progress)
  } catch (err) {
    progress.stop()
    await target.close().catch(() => undefined)
    // A failed import leaves no half-filled target behind that a retry would refuse.
    const left = await undo.undo(targetPath)
    throw new CliError(codeOf(err), `${messageOf(err)} — ${left}`, { cause: err })
  }
  progress.stop()
  await target.close()
  const gapFree = (headerGapFree ?? true) && expect.gapFree
  const positionsKept = !toPostgres && gapFree
  // Reopened from disk (or a new connection) and read back: the check covers what was made durable.
  const reopened: EventStore = await openEventStoreReadOnly(await resolveStore(targetPath, toPostgres ? 'event-store-postgres' : undefined), schema)
  let problems: string[]
  try {
    problems = await expect.compare(allEventsOf(reopened), positionsKept)
  } finally {
    await reopened.close()
  }
  const notes = [
    positionsKept
      ? 'positions kept: every event has the position it had in the source'
      : toPostgres
        ? 'positions not kept: PostgreSQL positions are (transaction id << 16) | index; $all order, stream revisions and event ids are kept'
        : 'positions renumbered 1, 2, 3, … in the same $all order (the source positions had gaps: a PostgreSQL store); revisions and ids are kept',
    toPostgres ? 'recordedAt is the PostgreSQL server clock at import, not the source time' : 'recordedAt kept (the target clock was the source time)',
    'ids of $$ system events (stream commands) are new; commit grouping is not carried (readAll does not show it)',
    'durable-subscription checkpoints and snapshots are not copied',
  ]
  const ok = problems.length === 0
  if (ctx.json) {
    await ctx.document({ command, source, target: targetPath, events: tally.events, appends: tally.appends, verified: ok, positionsKept, problems, notes })
  } else {
    const c = ctx.out
    await ctx.line(`${command}: ${tally.events} event(s) from ${source} into ${targetPath} in ${tally.appends} append(s)`)
    for (const n of notes) await ctx.line(`  ${n}`)
    if (ok) await ctx.line(c.green(`verified: the copy, reopened, matches the source event for event`))
    else {
      await ctx.line(c.red(`MISMATCH: ${problems.length} problem(s)`))
      for (const p of problems) await ctx.line(`  ${p}`)
    }
  }
  return ok ? EXIT_OK : EXIT_DAMAGE
}

async function* allEventsOf(store: EventStore): AsyncIterable<ExportedEvent> {
  yield* allEvents(store)
}

/**
 * `quire export <source>`: an event store's events (system events included) as export lines on
 * standard output or `--out`, or straight into a new store with `--to` (then verified).
 */
export async function exportCommand(ctx: CommandContext, sourcePath: string, kind: string | undefined, options: TransferOptions): Promise<ExitCode> {
  const store = await resolveStore(sourcePath, kind)
  if (!store.kind.startsWith('event-store-')) throw new CliError('INVALID_ARGUMENT', `${sourcePath} is a ${store.kind}; export moves event stores (use dump for other stores)`)
  const source = await openEventStoreReadOnly(store, ctx.schema)
  try {
    const total = source.lastPosition === undefined || store.kind === 'event-store-postgres' ? 0 : Number(source.lastPosition)
    if (options.to !== undefined) return await copyInto(ctx, 'export', sourcePath, options.to, options, allEvents(source), total, store.kind !== 'event-store-postgres')
    const header: ExportHeader = { format: 'quire-event-export', version: 1, source: store.kind, gapFreePositions: store.kind !== 'event-store-postgres' }
    const out = options.out === undefined ? ctx.io.stdout : createWriteStream(options.out, { flags: 'wx' })
    let n = 0
    let lastPosition: number | null = null
    const progress = ctx.progress(`export ${sourcePath}`, total)
    try {
      await writeOut(out, exportLine(header))
      for await (const e of allEvents(source)) {
        await writeOut(out, exportLine(e))
        n++
        lastPosition = e.position
        progress.tick()
      }
      // Written only after the last event: an export cut off anywhere has no trailer.
      await writeOut(out, exportLine({ format: 'quire-event-export-end', events: n, lastPosition }))
    } finally {
      progress.stop()
      if (options.out !== undefined) {
        out.end()
        await finished(out)
      }
    }
    if (options.out !== undefined) {
      if (ctx.json) await ctx.document({ command: 'export', source: sourcePath, out: options.out, events: n })
      else await ctx.line(`export: ${n} event(s) from ${sourcePath} written to ${options.out}`)
    } else if (!ctx.json) {
      await ctx.note(ctx.err.dim(`${n} event(s) exported from ${sourcePath}`))
    }
    return EXIT_OK
  } finally {
    await source.close()
  }
}

/**
 * Export lines from `input`: the first must be the header and the last the trailer, whose count
 * and last position must match the lines between; otherwise `EXPORT_INCOMPLETE` (thrown at the
 * end, after the events were yielded: the caller undoes what it appended).
 */
async function* readExport(input: NodeJS.ReadableStream): AsyncIterable<ExportedEvent> {
  const lines = createInterface({ input, crlfDelay: Infinity })
  let n = 0
  let header = false
  let trailer: ExportTrailer | undefined
  let events = 0
  let lastPosition: number | null = null
  for await (const line of lines) {
    n++
    if (line.trim() === '') continue
    if (trailer !== undefined) throw new CliError('EXPORT_INCOMPLETE', `line ${n}: input after the export's end line`)
    const value = parseExportLine(line, n)
    if ('format' in value) {
      if (value.format === 'quire-event-export-end') {
        if (!header) break
        trailer = value
        continue
      }
      if (header) throw new CliError('INVALID_ARGUMENT', `line ${n}: an export header in the middle of the input`)
      header = true
      continue
    }
    if (!header) break
    events++
    lastPosition = value.position
    yield value
  }
  if (!header) throw new CliError('EXPORT_INCOMPLETE', n === 0 ? 'the input is empty: no export header (was the export cut off or did it fail?)' : 'the input does not start with an export header (quire export writes one)')
  if (trailer === undefined) throw new CliError('EXPORT_INCOMPLETE', `the input ends after ${events} event(s) without the export's end line: the export was cut off or failed`)
  if (trailer.events !== events || trailer.lastPosition !== lastPosition) {
    throw new CliError('EXPORT_INCOMPLETE', `the export's end line says ${trailer.events} event(s) up to position ${String(trailer.lastPosition)}, the input held ${events} up to ${String(lastPosition)}`)
  }
}

/**
 * `quire import <target>`: export lines from `--in` or standard input into a new store, then
 * verified against the lines. Positions are kept when the lines' positions run 1, 2, 3, … (an
 * export of an embedded store) and the target is embedded.
 */
export async function importCommand(ctx: CommandContext, targetPath: string, options: TransferOptions): Promise<ExitCode> {
  const file = options.in === '-' ? undefined : options.in
  if (file === undefined && 'isTTY' in ctx.io.stdin && ctx.io.stdin.isTTY === true) {
    throw new CliError('INVALID_ARGUMENT', 'import reads export lines: pipe them in (quire export <source> | quire import <target> …) or give --in <file>')
  }
  const input = file === undefined ? ctx.io.stdin : createReadStream(file)
  // The header only says where the lines came from; what is kept is judged from the lines themselves.
  const events = readExport(input)
  return copyInto(ctx, 'import', options.in ?? 'standard input', targetPath, options, events, 0, undefined)
}
