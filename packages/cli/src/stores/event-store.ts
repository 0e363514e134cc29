import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { EventStore, ndjsonBackend, recordKeeperBackend, walBackend, type EventStoreBackend } from '@quire/event-store'
import { CliError } from '../cli-error.js'
import type { DetectedStore } from '../detect.js'
import { bigintOut } from '../json-value.js'
import { exportedOf } from '../event-transfer.js'
import { codeOf, forCliUser, messageOf } from '../plain-error.js'
import { bigintArg, intArg } from '../range-args.js'
import type { Damage, DumpRange, Emit, HandlerContext, RepairOutcome, RepairRequest, StoreHandler, VerifyFindings } from './handler.js'
import { mergeFindings, noFindings } from './handler.js'
import { ndjsonInfo, repairNdjson, verifyNdjson } from './ndjson.js'
import { recordKeeperInfo, repairRecordKeeper, verifyRecordKeeper } from './record-keeper.js'
import { repairSnapshots, verifySnapshots } from './snapshots.js'
import { repairWal, verifyWal, walInfo } from './wal.js'

const exists = (path: string): Promise<boolean> => access(path).then(
  () => true,
  () => false,
)

/**
 * The backend of an existing event store, opened read-only (PostgreSQL: reads only; never
 * migrates). `pg` is loaded only for a PostgreSQL store: every other command starts faster.
 */
export async function readOnlyBackend(store: DetectedStore, schema: string): Promise<EventStoreBackend> {
  const mode = { readOnly: true, createIfMissing: false } as const
  switch (store.kind) {
    case 'event-store-wal':
      return walBackend(store.path, mode)
    case 'event-store-ndjson':
      return ndjsonBackend(store.path, mode)
    case 'event-store-record-keeper':
      return recordKeeperBackend(store.path, mode)
    case 'event-store-postgres':
      return (await import('@quire/event-store-postgres')).postgresBackend({ connectionString: store.path, schema, listen: false })
    default:
      throw new CliError('INVALID_ARGUMENT', `${store.path} is a ${store.kind}, not an event store`)
  }
}

/** The event store at `store`, open for reading. */
export const openEventStoreReadOnly = async (store: DetectedStore, schema: string): Promise<EventStore> => EventStore.open({ backend: await readOnlyBackend(store, schema) })

/** The state directory (checkpoints, snapshots) of an embedded event store. */
export const stateDirOf = (store: DetectedStore): string => (store.kind === 'event-store-ndjson' ? `${store.path}.state` : join(store.path, 'state'))

/** The inner log's own verification (WAL, NDJSON log or record keeper), then the state directory's. */
async function verifyParts(store: DetectedStore, ctx: HandlerContext): Promise<VerifyFindings> {
  let f = noFindings()
  if (store.kind === 'event-store-wal') f = mergeFindings(f, await verifyWal(join(store.path, 'log'), ctx), 'log.')
  if (store.kind === 'event-store-ndjson') f = mergeFindings(f, await verifyNdjson(store.path, ctx), 'log.')
  if (store.kind === 'event-store-record-keeper') f = mergeFindings(f, await verifyRecordKeeper(join(store.path, 'log')), 'log.')
  const state = stateDirOf(store)
  if (store.kind !== 'event-store-postgres' && (await exists(state))) f = mergeFindings(f, await verifySnapshots(state), 'state.')
  return f
}

/**
 * Verifies an event store: the inner log and state as their packages check them, then a
 * read-only open (the event store's own checks: marker, positions from 1 without hole, system
 * events well formed) and a read of `$all` with system events, checking positions (embedded:
 * 1, 2, 3, …; PostgreSQL: strictly increasing), each stream's revisions (0, 1, 2, …) and that
 * ids are unique.
 */
async function verifyEventStore(store: DetectedStore, ctx: HandlerContext): Promise<VerifyFindings> {
  const parts = await verifyParts(store, ctx)
  if (parts.damage.some((d) => d.code !== undefined && /CORRUPT$/.test(d.code))) return parts
  let es: EventStore
  try {
    es = await openEventStoreReadOnly(store, ctx.schema)
  } catch (err) {
    if (!/CORRUPT$/.test(codeOf(err))) throw err
    return { ...parts, damage: [...parts.damage, { file: store.path, problem: messageOf(err), code: codeOf(err) }] }
  }
  const damage: Damage[] = []
  const gapFree = store.kind !== 'event-store-postgres'
  let events = 0
  try {
    const total = es.lastPosition
    const progress = ctx.progress(`verify ${store.path}`, gapFree && total !== undefined ? Number(total) : 0)
    const revisions = new Map<string, number>()
    const ids = new Set<string>()
    let last = 0n
    try {
      for await (const e of es.readAll({ filter: { includeSystem: true } })) {
        events++
        progress.tick()
        const where = `position ${e.position}`
        if (gapFree ? e.position !== last + 1n : e.position <= last) damage.push({ file: store.path, problem: `${where}: follows position ${last} (${gapFree ? 'a hole or a repeat' : 'out of order'})` })
        last = e.position
        const expected = (revisions.get(e.streamName) ?? -1) + 1
        if (e.revision !== expected) damage.push({ file: store.path, problem: `${where}: stream ${e.streamName} revision ${e.revision}, expected ${expected}` })
        revisions.set(e.streamName, e.revision)
        if (ids.has(e.id)) damage.push({ file: store.path, problem: `${where}: event id ${e.id} repeats` })
        ids.add(e.id)
      }
    } finally {
      progress.stop()
    }
    return mergeFindings(parts, { checked: { events, streams: revisions.size }, damage, warnings: [] })
  } finally {
    await es.close()
  }
}

async function eventStoreInfo(store: DetectedStore, ctx: HandlerContext): Promise<Record<string, unknown>> {
  let inner: Record<string, unknown> = {}
  if (store.kind === 'event-store-wal') inner = await walInfo(join(store.path, 'log'))
  if (store.kind === 'event-store-ndjson') inner = await ndjsonInfo(store.path)
  if (store.kind === 'event-store-record-keeper') inner = await recordKeeperInfo(join(store.path, 'log'))
  const out: Record<string, unknown> = { backend: store.kind.replace(/^event-store-/, '') }
  try {
    const es = await openEventStoreReadOnly(store, ctx.schema)
    out.lastPosition = es.lastPosition === undefined ? null : bigintOut(es.lastPosition)
    await es.close()
  } catch (err) {
    if (!/CORRUPT$/.test(codeOf(err))) throw err
    out.error = messageOf(err)
  }
  const recovery = inner.recovery ?? 'clean'
  const { recovery: _r, ...rest } = inner
  return { ...out, log: rest, recovery }
}

/** Repairs the event store's inner log with its package's recovery, and its state directory. */
async function repairEventStore(store: DetectedStore, request: RepairRequest): Promise<RepairOutcome> {
  let outcome: RepairOutcome
  switch (store.kind) {
    case 'event-store-wal':
      outcome = await repairWal(join(store.path, 'log'), request)
      break
    case 'event-store-ndjson':
      outcome = await repairNdjson(store.path, request)
      break
    case 'event-store-record-keeper':
      if (request.mode !== 'strict') throw new CliError('UNSUPPORTED', 'the record keeper has no recovery modes; use the default --mode strict')
      outcome = await repairRecordKeeper(join(store.path, 'log'), request)
      break
    default:
      throw new CliError('UNSUPPORTED', 'a PostgreSQL event store is repaired by PostgreSQL itself (its WAL and crash recovery); quire repair works on embedded stores')
  }
  const state = stateDirOf(store)
  if (await exists(state)) {
    try {
      const s = await repairSnapshots(state, request)
      outcome = { actions: [...outcome.actions, ...s.actions], notes: [...outcome.notes, ...s.notes.filter((n) => n !== 'nothing to repair')] }
    } catch (err) {
      // The log's repair already acted: report what it did (cuts, quarantine files) with the failure.
      if (outcome.actions.length === 0 || !request.apply) throw err
      return { ...outcome, failed: { code: codeOf(err), message: `the state directory ${state}: ${forCliUser(messageOf(err))}` } }
    }
  }
  if (request.apply && store.kind !== 'event-store-ndjson') {
    // The event store's own writer lock (<store>/LOCK) is not the log's: a writable open of the
    // event store takes a stale one over (as it would for the application) and releases it on close.
    const es = await EventStore.open({ backend: store.kind === 'event-store-wal' ? walBackend(store.path, { createIfMissing: false }) : recordKeeperBackend(store.path, { createIfMissing: false }) })
    await es.close()
  }
  if (outcome.actions.length > 0) outcome = { ...outcome, notes: outcome.notes.filter((n) => n !== 'nothing to repair') }
  return outcome
}

/**
 * Events as NDJSON records: `--stream` reads one stream from revision `--from` to `--to`;
 * otherwise `$all` from position `--from` to `--to` (inclusive), `--prefix` on the stream name,
 * `--system` to include the `$$` events of stream commands.
 */
async function dumpEventStore(store: DetectedStore, range: DumpRange, emit: Emit, ctx: HandlerContext): Promise<number> {
  const es = await openEventStoreReadOnly(store, ctx.schema)
  let n = 0
  try {
    if (range.stream !== undefined) {
      const from = intArg(range.from, '--from')
      const to = intArg(range.to, '--to')
      for await (const e of es.readStream(range.stream, from === undefined ? {} : { fromRevision: from })) {
        if (to !== undefined && e.revision > to) break
        await emit({ ...exportedOf(e) })
        n++
      }
      return n
    }
    const from = bigintArg(range.from, '--from')
    const to = bigintArg(range.to, '--to')
    const filter = { ...(range.prefix !== undefined ? { streamNamePrefix: [range.prefix] } : {}), ...(range.system === true ? { includeSystem: true } : {}) }
    for await (const e of es.readAll({ ...(from !== undefined ? { fromPosition: from } : {}), filter })) {
      if (to !== undefined && e.position > to) break
      await emit({ ...exportedOf(e) })
      n++
    }
    return n
  } finally {
    await es.close()
  }
}

/** Every event-store backend. */
export const eventStoreHandler: StoreHandler = {
  info: eventStoreInfo,
  verify: verifyEventStore,
  dump: dumpEventStore,
  repair: (store, request) => repairEventStore(store, request),
}
