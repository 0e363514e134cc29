import { NdjsonLog, type RecoveryMode } from '@quire/ndjson-log'
import { codeOf, messageOf } from '../plain-error.js'
import { intArg } from '../range-args.js'
import type { Damage, DumpRange, Emit, HandlerContext, RepairAction, RepairOutcome, RepairRequest, StoreHandler, VerifyFindings } from './handler.js'
import { dirname, join } from 'node:path'

interface CorruptFields {
  readonly file?: unknown
  readonly line?: unknown
  readonly reason?: unknown
}

const isCorrupt = (err: unknown): boolean => /CORRUPT$/.test(codeOf(err))

function corruptDamage(path: string, err: unknown): Damage {
  const f = err as CorruptFields
  return {
    file: typeof f.file === 'string' ? f.file : path,
    ...(typeof f.line === 'number' ? { line: f.line } : {}),
    problem: typeof f.reason === 'string' ? f.reason : messageOf(err),
    code: codeOf(err),
  }
}

const openReadOnly = (path: string, recovery: RecoveryMode = 'strict'): Promise<NdjsonLog> => NdjsonLog.open(path, { readOnly: true, createIfMissing: false, recovery })

/** What the recovery report of `log` says a writable open would do (or did), as actions. */
function recoveryActions(path: string, log: NdjsonLog): RepairAction[] {
  const r = log.recovery
  const actions: RepairAction[] = []
  const quarantined = r.quarantined.map((q) => (q.includes('/') ? q : join(dirname(path), q)))
  if (r.truncatedBytes > 0) {
    actions.push({
      file: r.cutAt?.file ?? path,
      ...(r.cutAt !== undefined ? { line: r.cutAt.line } : {}),
      bytes: r.truncatedBytes,
      action: r.cutAt !== undefined ? 'cut-at-damage' : 'cut-torn-tail',
      reason: r.cutAt?.reason ?? 'an incomplete or damaged last line',
      ...(quarantined[0] !== undefined ? { preservedIn: quarantined[0] } : {}),
    })
  }
  for (const s of r.skipped) actions.push({ file: s.file, line: s.line, action: 'skipped-corrupt', reason: s.reason })
  return actions
}

/**
 * Verifies an NDJSON log read-only: the strict open checks every line's CRC, seq and batch; a
 * torn tail is damage (file and line); on corruption a `skip-corrupt` read-only open lists every
 * damaged line. Then every record is read (archives included) with a progress bar.
 */
export async function verifyNdjson(path: string, ctx: HandlerContext): Promise<VerifyFindings> {
  let log: NdjsonLog
  try {
    log = await openReadOnly(path)
  } catch (err) {
    if (!isCorrupt(err)) throw err
    const damage = [corruptDamage(path, err)]
    try {
      const skipping = await openReadOnly(path, 'skip-corrupt')
      const seen = new Set(damage.map((d) => `${d.file}:${d.line ?? ''}`))
      for (const s of skipping.recovery.skipped) if (!seen.has(`${s.file}:${s.line}`)) damage.push({ file: s.file, line: s.line, problem: s.reason })
      await skipping.close()
    } catch (again) {
      if (!isCorrupt(again)) throw again
    }
    return { checked: {}, damage, warnings: [] }
  }
  try {
    const damage: Damage[] = recoveryActions(path, log).map((a) => ({
      file: a.file,
      ...(a.line !== undefined ? { line: a.line } : {}),
      problem: `${a.action}: ${a.reason}${a.bytes !== undefined ? ` (${a.bytes} bytes)` : ''}`,
      ...(a.action === 'cut-torn-tail' ? { tornTail: true as const } : {}),
    }))
    const progress = ctx.progress(`verify ${path}`, log.lastSeq)
    let records = 0
    try {
      for await (const _ of log.read()) {
        records++
        progress.tick()
      }
    } catch (err) {
      if (!isCorrupt(err)) throw err
      damage.push(corruptDamage(path, err))
    } finally {
      progress.stop()
    }
    return { checked: { records }, damage, warnings: [] }
  } finally {
    await log.close()
  }
}

/** Counts and recovery state of an NDJSON log. */
export async function ndjsonInfo(path: string): Promise<Record<string, unknown>> {
  let log: NdjsonLog
  try {
    log = await openReadOnly(path)
  } catch (err) {
    if (!isCorrupt(err)) throw err
    return { recovery: `damaged: ${messageOf(err)}` }
  }
  try {
    let firstSeq: number | null = null
    for await (const e of log.read()) {
      firstSeq = e.seq
      break
    }
    const actions = recoveryActions(path, log)
    return {
      firstSeq,
      lastSeq: log.lastSeq,
      recovery: actions.length === 0 ? 'clean' : `a writable open would: ${actions.map((a) => `${a.action} in ${a.file}${a.line !== undefined ? ` at line ${a.line}` : ''}${a.bytes !== undefined ? ` (${a.bytes} bytes)` : ''}`).join('; ')}`,
    }
  } finally {
    await log.close()
  }
}

/** Repairs an NDJSON log with a recovery mode: read-only dry run, or a writable open that quarantines what it cuts. */
export async function repairNdjson(path: string, request: RepairRequest): Promise<RepairOutcome> {
  let log: NdjsonLog
  try {
    log = request.apply ? await NdjsonLog.open(path, { createIfMissing: false, recovery: request.mode }) : await openReadOnly(path, request.mode)
  } catch (err) {
    if (!isCorrupt(err) || request.mode !== 'strict') throw err
    const d = corruptDamage(path, err)
    return {
      actions: [],
      notes: [
        `strict recovery refuses this log: ${d.file}${d.line !== undefined ? ` line ${d.line}` : ''}: ${d.problem}`,
        'choose --mode point-in-time (keep what precedes the damage, quarantine the rest) or --mode skip-corrupt (skip the damaged lines and their batches)',
      ],
    }
  }
  try {
    const actions = recoveryActions(path, log)
    return { actions, notes: actions.length === 0 ? ['nothing to repair'] : [] }
  } finally {
    await log.close()
  }
}

/** Records of an NDJSON log: `--from`/`--to` seqs, inclusive. */
export async function dumpNdjson(path: string, range: DumpRange, emit: Emit): Promise<number> {
  const from = intArg(range.from, '--from')
  const to = intArg(range.to, '--to')
  const log = await openReadOnly(path)
  let n = 0
  try {
    for await (const e of log.read(from === undefined ? {} : { fromSeq: Math.max(1, from) })) {
      if (to !== undefined && e.seq > to) break
      await emit({ seq: e.seq, record: e.record })
      n++
    }
  } finally {
    await log.close()
  }
  return n
}

/** A bare `@quire/ndjson-log` file. */
export const ndjsonHandler: StoreHandler = {
  info: (store) => ndjsonInfo(store.path),
  verify: (store, ctx) => verifyNdjson(store.path, ctx),
  dump: (store, range, emit) => dumpNdjson(store.path, range, emit),
  repair: (store, request) => repairNdjson(store.path, request),
}
