import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { MvccStore } from '@quire/mvcc'
import { CliError } from '../cli-error.js'
import { codeOf, messageOf } from '../plain-error.js'
import type { DumpRange, Emit, HandlerContext, RepairOutcome, RepairRequest, StoreHandler, VerifyFindings } from './handler.js'
import { mergeFindings } from './handler.js'
import { repairWal, verifyWal, walInfo } from './wal.js'
import { verifySnapshots } from './snapshots.js'

const openReadOnly = (dir: string): Promise<MvccStore> => MvccStore.open(dir, { readOnly: true, createIfMissing: false })

/**
 * Verifies an MVCC store: its WAL (`wal/`) and checkpoints (`snapshots/`) as those packages check
 * them, then a read-only open (every commit record decoded, the newest valid checkpoint loaded)
 * and a scan of every key.
 */
export async function verifyMvcc(dir: string, ctx: HandlerContext): Promise<VerifyFindings> {
  let findings = mergeFindings({ checked: {}, damage: [], warnings: [] }, await verifyWal(join(dir, 'wal'), ctx), 'wal.')
  findings = mergeFindings(findings, await verifySnapshots(join(dir, 'snapshots')), 'checkpoint.')
  if (findings.damage.some((d) => d.code !== undefined && /CORRUPT$/.test(d.code) && !d.file.includes('snapshots'))) return findings
  let db: MvccStore
  try {
    db = await openReadOnly(dir)
  } catch (err) {
    if (!/CORRUPT$/.test(codeOf(err))) throw err
    return { ...findings, damage: [...findings.damage, { file: dir, problem: messageOf(err), code: codeOf(err) }] }
  }
  try {
    const total = db.stats().keys
    const progress = ctx.progress(`verify ${dir}`, total)
    let keys = 0
    try {
      const tx = db.begin({ readOnly: true })
      for await (const _ of tx.scan()) {
        keys++
        progress.tick()
      }
      await tx.abort()
    } finally {
      progress.stop()
    }
    return mergeFindings(findings, { checked: { keys }, damage: [], warnings: [] })
  } finally {
    await db.close()
  }
}

async function mvccInfo(dir: string): Promise<Record<string, unknown>> {
  const wal = await walInfo(join(dir, 'wal'))
  let stats: Record<string, unknown> = {}
  try {
    const db = await openReadOnly(dir)
    const s = db.stats()
    stats = { keys: s.keys, versions: s.versions, visibleTs: s.visibleTs }
    await db.close()
  } catch (err) {
    if (!/CORRUPT$/.test(codeOf(err))) throw err
    stats = { error: messageOf(err) }
  }
  return { ...stats, walEntries: wal.entries, walLastSeq: wal.lastSeq, walFloorSeq: wal.floorSeq, recovery: wal.recovery }
}

/**
 * An MVCC store recovers through its WAL in strict mode (it has no recovery option): the dry run
 * is the WAL's strict read-only report; `--yes` opens the store writable (lock taken; the WAL cuts
 * and quarantines a torn tail) and closes it.
 */
async function repairMvcc(dir: string, request: RepairRequest): Promise<RepairOutcome> {
  if (request.mode !== 'strict') throw new CliError('UNSUPPORTED', '@quire/mvcc opens its WAL in strict mode only; repair its WAL directory (quire repair <store>/wal --mode …) first if it is corrupt in the middle')
  const plan = await repairWal(join(dir, 'wal'), { mode: 'strict', apply: false })
  if (!request.apply || plan.actions.length === 0) return plan
  const walDir = join(dir, 'wal')
  const before = new Set(await quarantineFiles(walDir))
  const db = await MvccStore.open(dir, { createIfMissing: false })
  await db.close()
  // The store's open ran the WAL's recovery and does not hand back its report: the quarantine
  // files it wrote are the new ones, named <segment>.<offset>.<id>.quarantine; an action without
  // one (a segment below the truncation floor, deleted on request) claims none.
  const written = (await quarantineFiles(walDir)).filter((n) => !before.has(n))
  const actions = plan.actions.map((a) => {
    const { preservedIn: _p, ...rest } = a
    const file = written.find((n) => n.startsWith(`${basename(a.file)}.${a.offset ?? 0}.`))
    return file === undefined ? rest : { ...rest, preservedIn: join(walDir, file) }
  })
  const notes = written.length === 0 ? ['no quarantine file was written (nothing removed was damage)'] : [`quarantine files written: ${written.map((n) => join(walDir, n)).join(', ')}`]
  return { actions, notes }
}

const quarantineFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.quarantine'))

/** Key/values at the newest commit: `--prefix`, `--from` (≥) and `--to` (<) on keys. */
async function dumpMvcc(dir: string, range: DumpRange, emit: Emit): Promise<number> {
  const db = await openReadOnly(dir)
  let n = 0
  try {
    const tx = db.begin({ readOnly: true })
    try {
      const scan = {
        ...(range.prefix !== undefined ? { prefix: range.prefix } : {}),
        ...(range.from !== undefined ? { gte: range.from } : {}),
        ...(range.to !== undefined ? { lt: range.to } : {}),
      }
      for await (const [key, value] of tx.scan(scan)) {
        await emit({ key, value })
        n++
      }
    } finally {
      await tx.abort()
    }
  } finally {
    await db.close()
  }
  return n
}

/** An `@quire/mvcc` directory (`wal/`, `snapshots/`). */
export const mvccHandler: StoreHandler = {
  info: (store) => mvccInfo(store.path),
  verify: (store, ctx) => verifyMvcc(store.path, ctx),
  dump: (store, range, emit) => dumpMvcc(store.path, range, emit),
  repair: (store, request) => repairMvcc(store.path, request),
}
