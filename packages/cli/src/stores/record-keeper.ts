import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { Depot, RecordKeeper } from '@quire/fs-record-keeper'
import { preserveFiles, preservedField } from '../preserve-files.js'
import { intArg } from '../range-args.js'
import type { Damage, DumpRange, Emit, RepairAction, RepairOutcome, RepairRequest, StoreHandler, VerifyFindings } from './handler.js'

const exists = (path: string): Promise<boolean> => access(path).then(
  () => true,
  () => false,
)

/** Verifies the record keeper in `<dir>/rk` with its own `RecordKeeper.verify` (no lock, nothing written). */
export async function verifyRecordKeeper(dir: string): Promise<VerifyFindings> {
  const r = await RecordKeeper.verify(dir)
  const damage: Damage[] = [
    ...r.brokenLinks.map((file) => ({ file, problem: 'broken link: leads nowhere, to a damaged file, or in a cycle' })),
    ...r.damaged.map((file) => ({ file, problem: 'damaged event file (checksum, magic or JSON failed)' })),
    ...r.orphans.map((file) => ({ file, problem: 'orphan: an event file written but never linked (an add a crash interrupted; never acknowledged)' })),
    ...r.unreachable.map((file) => ({ file, problem: `unreachable after damage at ${r.brokenAt ?? 'a lost link'}: acknowledged history cut off from the chain (kept; restore the broken file from a backup)` })),
    ...r.strays.map((file) => ({ file, problem: 'stray: a temp file or a name with no place in the layout' })),
    ...(r.staleTail ? [{ file: join(dir, 'rk', 'tail'), problem: `stale tail: names ${r.recordedTail ?? 'nothing'}, the chain ends at ${r.tail ?? 'nothing'}` }] : []),
  ]
  return { checked: { events: r.events }, damage, warnings: [] }
}

/** Verifies the depot in `<dir>/depot` with `Depot.verify`. */
export async function verifyDepot(dir: string): Promise<VerifyFindings> {
  const r = await Depot.verify(dir)
  const damage: Damage[] = [
    ...r.damaged.map((file) => ({ file, problem: 'damaged object (a block checksum or the trailer failed)' })),
    ...r.tornReservations.map((file) => ({ file, problem: 'torn reservation: an object whose creation a crash interrupted' })),
    ...r.strays.map((file) => ({ file, problem: 'stray: a temp file or a name with no place in the layout' })),
  ]
  return { checked: { objects: r.readable + r.writable, readable: r.readable, writable: r.writable }, damage, warnings: [] }
}

async function verifyBoth(dir: string): Promise<VerifyFindings> {
  const parts: VerifyFindings[] = []
  if (await exists(join(dir, 'rk'))) parts.push(await verifyRecordKeeper(dir))
  if (await exists(join(dir, 'depot'))) parts.push(await verifyDepot(dir))
  return {
    checked: Object.assign({}, ...parts.map((p) => p.checked)) as Record<string, number>,
    damage: parts.flatMap((p) => p.damage),
    warnings: parts.flatMap((p) => p.warnings),
  }
}

/** Counts and recovery state of a record keeper and depot directory. */
export async function recordKeeperInfo(dir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  if (await exists(join(dir, 'rk'))) {
    const v = await RecordKeeper.verify(dir)
    const rk = await RecordKeeper.open(dir, { readOnly: true, createIfMissing: false })
    try {
      const r = rk.recovery
      const todo = [
        r.orphansRemoved > 0 ? `remove ${r.orphansRemoved} orphan/damaged unlinked file(s)` : '',
        r.tempFilesRemoved > 0 ? `remove ${r.tempFilesRemoved} temp file(s)` : '',
        r.tailRepaired ? 'repair the tail pointer' : '',
      ].filter(Boolean)
      Object.assign(out, { events: v.events, head: v.head, tail: v.tail, recovery: todo.length === 0 ? 'clean' : `a writable open would: ${todo.join('; ')}` })
    } finally {
      await rk.close()
    }
  }
  if (await exists(join(dir, 'depot'))) {
    const d = await Depot.verify(dir)
    Object.assign(out, { depotReadable: d.readable, depotWritable: d.writable, depotDamaged: d.damaged.length, depotTornReservations: d.tornReservations.length })
  }
  return out
}

/**
 * The record keeper and the depot delete orphans, damaged unlinked files, temp files and torn
 * reservations at a writable open, without a quarantine: `repair --yes` copies each of them next
 * to the store first. Broken links in the chain are not repairable by the package (its open
 * refuses with `CORRUPT`); they are reported.
 */
export async function repairRecordKeeper(dir: string, request: RepairRequest): Promise<RepairOutcome> {
  const notes: string[] = []
  const doomed: { file: string; action: string; reason: string }[] = []
  const hasRk = await exists(join(dir, 'rk'))
  const hasDepot = await exists(join(dir, 'depot'))
  if (hasRk) {
    const v = await RecordKeeper.verify(dir)
    for (const file of v.orphans) doomed.push({ file, action: 'remove-orphan', reason: 'written, never linked (never acknowledged)' })
    for (const file of v.damaged) doomed.push({ file, action: 'remove-damaged-unlinked', reason: 'damaged and not on the chain' })
    for (const file of v.strays) doomed.push({ file, action: 'remove-stray', reason: 'temp file or foreign name' })
    for (const file of v.unreachable) notes.push(`${file}: unreachable after damage at ${v.brokenAt ?? 'a lost link'} — acknowledged history, kept; restore the broken file from a backup`)
    for (const file of v.brokenLinks) notes.push(`${file}: broken link — the package cannot repair it (open refuses with CORRUPT); restore from a backup`)
    if (v.staleTail) doomed.push({ file: join(dir, 'rk', 'tail'), action: 'rewrite-tail', reason: `tail names ${v.recordedTail ?? 'nothing'}, chain ends at ${v.tail ?? 'nothing'}` })
  }
  if (hasDepot) {
    const d = await Depot.verify(dir)
    for (const file of d.tornReservations) doomed.push({ file, action: 'remove-torn-reservation', reason: 'creation interrupted by a crash' })
    for (const file of d.strays) doomed.push({ file, action: 'remove-stray', reason: 'temp file or foreign name' })
    for (const file of d.damaged) notes.push(`${file}: damaged object — left in place (reads of it fail with CORRUPT); purge it once you have what you need`)
  }
  let preserved = new Map<string, string>()
  if (request.apply) {
    preserved = await preserveFiles(dir, doomed.map((d) => d.file))
    if (hasRk) await (await RecordKeeper.open(dir, { createIfMissing: false })).close()
    if (hasDepot) await (await Depot.open(dir, { createIfMissing: false })).close()
  }
  const actions: RepairAction[] = doomed.map((d) => ({ ...d, ...preservedField(preserved, d.file) }))
  if (actions.length === 0 && notes.length === 0) notes.push('nothing to repair')
  return { actions, notes }
}

/** The record keeper's history in order: `--from`/`--to` are 1-based places in it. */
export async function dumpRecordKeeper(dir: string, range: DumpRange, emit: Emit): Promise<number> {
  const from = intArg(range.from, '--from') ?? 1
  const to = intArg(range.to, '--to')
  const rk = await RecordKeeper.open(dir, { readOnly: true, createIfMissing: false })
  let place = 0
  let n = 0
  try {
    for await (const event of rk.events()) {
      place++
      if (place < from) continue
      if (to !== undefined && place > to) break
      await emit({ n: place, event })
      n++
    }
  } finally {
    await rk.close()
  }
  return n
}

/** A `@quire/fs-record-keeper` parent directory (`rk/`, `depot/`). */
export const recordKeeperHandler: StoreHandler = {
  info: (store) => recordKeeperInfo(store.path),
  verify: (store) => verifyBoth(store.path),
  dump: (store, range, emit) => dumpRecordKeeper(store.path, range, emit),
  repair: (store, request) => repairRecordKeeper(store.path, request),
}
