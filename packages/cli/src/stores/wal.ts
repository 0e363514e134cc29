import { join } from 'node:path'
import { Wal, type RecoveryAction, type RecoveryReport, type WalRecoveryMode } from '@quire/wal'
import { codeOf, messageOf } from '../plain-error.js'
import { intArg } from '../range-args.js'
import { putBytes } from '../json-value.js'
import type { Damage, DumpRange, Emit, HandlerContext, RepairOutcome, RepairRequest, StoreHandler, VerifyFindings } from './handler.js'

/** Corruption errors of the WAL carry the segment (a file name) and the byte offset. */
interface CorruptFields {
  readonly segment?: unknown
  readonly offset?: unknown
}

const isCorrupt = (err: unknown): boolean => /CORRUPT$/.test(codeOf(err))

function corruptDamage(dir: string, err: unknown): Damage {
  const f = err as CorruptFields
  return {
    file: typeof f.segment === 'string' ? join(dir, f.segment) : dir,
    ...(typeof f.offset === 'number' ? { offset: f.offset } : {}),
    problem: messageOf(err),
    code: codeOf(err),
  }
}

const openReadOnly = (dir: string, recovery: WalRecoveryMode = 'strict'): Promise<Wal> => Wal.open(dir, { readOnly: true, createIfMissing: false, recovery })

/**
 * `removed-truncated-segment` is the WAL finishing a `truncateBefore` (the floor was written, the
 * unlink had not happened yet): routine cleanup of entries the application discarded, not damage.
 */
const isCleanup = (a: RecoveryAction): boolean => a.action === 'removed-truncated-segment'

/** Cleanup a writable open would do, as info lines. */
function cleanupInfo(dir: string, report: RecoveryReport): string[] {
  return report.actions.filter(isCleanup).map((a) => `${join(dir, a.segment)} (${a.bytes} bytes): ${a.reason}; a writable open deletes it (the end of a truncateBefore), not damage`)
}

function actionsAsDamage(dir: string, report: RecoveryReport): Damage[] {
  return report.actions.filter((a) => !isCleanup(a)).map((a) => ({
    file: join(dir, a.segment),
    offset: a.offset,
    problem: `${a.action}: ${a.reason} (${a.bytes} bytes)`,
    ...(a.action === 'cut-torn-tail' || a.action === 'removed-torn-segment' ? { tornTail: true as const } : {}),
  }))
}

/**
 * Verifies the WAL in `dir` read-only: the strict open scans every frame's CRC and every rule of
 * FORMAT.md; a torn tail a writable open would cut is damage (named by segment and offset); on
 * corruption a second read-only open in `skip-corrupt` mode lists every bad frame it skips.
 * Then every entry is replayed (CRCs checked again) with a progress bar.
 */
export async function verifyWal(dir: string, ctx: HandlerContext): Promise<VerifyFindings> {
  let wal: Wal
  try {
    wal = await openReadOnly(dir)
  } catch (err) {
    if (!isCorrupt(err)) throw err
    const damage = [corruptDamage(dir, err)]
    try {
      const skipping = await openReadOnly(dir, 'skip-corrupt')
      const seen = new Set(damage.map((d) => `${d.file}@${d.offset ?? ''}`))
      for (const d of actionsAsDamage(dir, skipping.recoveryReport)) if (!seen.has(`${d.file}@${d.offset ?? ''}`)) damage.push(d)
      await skipping.close()
    } catch (again) {
      if (!isCorrupt(again)) throw again
    }
    return { checked: {}, damage, warnings: [] }
  }
  try {
    const report = wal.recoveryReport
    const damage = actionsAsDamage(dir, report)
    const progress = ctx.progress(`verify ${dir}`, report.entries)
    let entries = 0
    try {
      for await (const _ of wal.replay()) {
        entries++
        progress.tick()
      }
    } finally {
      progress.stop()
    }
    const info = cleanupInfo(dir, report)
    return { checked: { segments: report.segments, entries }, damage, warnings: [], ...(info.length > 0 ? { info } : {}) }
  } finally {
    await wal.close()
  }
}

/** Counts and recovery state of the WAL in `dir`. */
export async function walInfo(dir: string): Promise<Record<string, unknown>> {
  let wal: Wal
  try {
    wal = await openReadOnly(dir)
  } catch (err) {
    if (!isCorrupt(err)) throw err
    return { recovery: `damaged: ${messageOf(err)}` }
  }
  try {
    const r = wal.recoveryReport
    let firstSeq: number | null = null
    for await (const e of wal.replay()) {
      firstSeq = e.seq
      break
    }
    return {
      segments: r.segments,
      // The report counts every frame scanned, those at or below the truncation floor too; what
      // the log holds (what replay, verify and dump see) is firstSeq..lastSeq, seqs being consecutive.
      entries: firstSeq === null ? 0 : r.lastSeq - firstSeq + 1,
      firstSeq,
      lastSeq: r.lastSeq,
      floorSeq: r.floorSeq,
      recovery: r.actions.length === 0 ? 'clean' : `a writable open would: ${r.actions.map((a) => `${a.action} in ${a.segment} at byte ${a.offset} (${a.bytes} bytes)`).join('; ')}`,
    }
  } finally {
    await wal.close()
  }
}

/**
 * Repairs the WAL in `dir` with the chosen recovery mode: a dry run opens it read-only and
 * reports the actions a writable open would take; `apply` opens it writable (taking the lock:
 * `LOCKED` while a writer lives), which cuts and quarantines exactly those bytes.
 */
export async function repairWal(dir: string, request: RepairRequest): Promise<RepairOutcome> {
  const notes: string[] = []
  let wal: Wal
  try {
    wal = request.apply ? await Wal.open(dir, { createIfMissing: false, recovery: request.mode }) : await openReadOnly(dir, request.mode)
  } catch (err) {
    if (!isCorrupt(err) || request.mode !== 'strict') throw err
    const d = corruptDamage(dir, err)
    return {
      actions: [],
      notes: [
        `strict recovery refuses this log: ${d.problem}`,
        'choose --mode point-in-time (keep everything before the damage, quarantine the rest) or --mode skip-corrupt (skip the bad frames and the batches they break)',
      ],
    }
  }
  try {
    const actions = wal.recoveryReport.actions.map((a) => ({
      file: join(dir, a.segment),
      offset: a.offset,
      bytes: a.bytes,
      action: a.action,
      reason: a.reason,
      ...(a.quarantine !== undefined ? { preservedIn: join(dir, a.quarantine) } : {}),
    }))
    if (actions.length === 0) notes.push('nothing to repair')
    return { actions, notes }
  } finally {
    await wal.close()
  }
}

/** Entries of the WAL in `dir`, `--from`/`--to` seqs (inclusive), `--prefix` on the key's text. */
export async function dumpWal(dir: string, range: DumpRange, emit: Emit): Promise<number> {
  const from = intArg(range.from, '--from')
  const to = intArg(range.to, '--to')
  const prefix = range.prefix === undefined ? undefined : Buffer.from(range.prefix, 'utf8')
  const wal = await openReadOnly(dir)
  let n = 0
  try {
    for await (const e of wal.replay(from === undefined ? {} : { fromSeq: Math.max(1, from) })) {
      if (to !== undefined && e.seq > to) break
      if (prefix !== undefined && (e.key.byteLength < prefix.byteLength || Buffer.compare(Buffer.from(e.key.buffer, e.key.byteOffset, prefix.byteLength), prefix) !== 0)) continue
      const out: Record<string, unknown> = { seq: e.seq, timestampMs: e.timestampMs, op: e.op }
      putBytes(out, 'key', e.key)
      putBytes(out, 'value', e.value)
      await emit(out)
      n++
    }
  } finally {
    await wal.close()
  }
  return n
}

/** A bare `@quire/wal` directory. */
export const walHandler: StoreHandler = {
  info: (store) => walInfo(store.path),
  verify: (store, ctx) => verifyWal(store.path, ctx),
  dump: (store, range, emit) => dumpWal(store.path, range, emit),
  repair: (store, request) => repairWal(store.path, request),
}
