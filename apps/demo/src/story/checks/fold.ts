import type { EventStore, RecordedEvent } from '@quire/event-store'
import type { CommandMetadata } from '../../ledger/domain/events.js'
import { READ_MODEL_LINES_KEPT } from '../../ledger/limits.js'
import type { LineView, StatementView, TotalsView } from '../../ledger/read-model.js'

/**
 * A fold of the event log written for the checks alone, independently of the service's
 * projection: what the read model should hold, and every invariant the log itself must keep.
 */

export interface FoldedAccount {
  readonly accountId: string
  readonly owner: string
  balance: number
  revision: number
  lineCount: number
  lines: LineView[]
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** The derived state the read model must equal (after some prefix of the log). */
export interface FoldState {
  readonly accounts: Map<string, FoldedAccount>
  readonly totals: Mutable<TotalsView>
  /** Issued statements by object id. */
  readonly statements: Map<string, StatementView & { readonly fromRevision: number }>
}

/** The events one idempotency key booked. */
export interface KeyEvents {
  readonly types: string[]
  readonly streams: string[]
  readonly data: Record<string, unknown>[]
  readonly positions: bigint[]
  readonly fingerprint: string
}

export interface TransferHalves {
  sent?: { readonly from: string; readonly to: string; readonly amount: number; readonly position: bigint }
  received?: { readonly from: string; readonly to: string; readonly amount: number; readonly position: bigint }
  declined?: boolean
}

export interface LogFold {
  /** Position of the last event (`0n`: empty log). */
  readonly head: bigint
  readonly headId: string | undefined
  readonly events: number
  readonly final: FoldState
  /** The state right after the event at `snapshotAt` (the read model's checkpoint), if asked. */
  readonly atSnapshot: FoldState | undefined
  /** Id of the event at `snapshotAt`, if the log has one there. */
  readonly snapshotEventId: string | undefined
  readonly byKey: Map<string, KeyEvents>
  readonly transfers: Map<string, TransferHalves>
  /** Sums over the whole log, cents. */
  readonly deposited: number
  readonly withdrawn: number
  /** Lowest balance any account had after any event. */
  readonly lowestBalance: number
  /** Violations found while folding, by invariant. */
  readonly problems: { readonly belowZero: string[]; readonly decisions: string[]; readonly structure: string[]; readonly keys: string[] }
}

const LINE_TYPES: ReadonlySet<string> = new Set(['Deposited', 'Withdrawn', 'WithdrawalDeclined', 'TransferSent', 'TransferReceived', 'TransferDeclined'])
const RECORDS_BALANCE_AFTER: ReadonlySet<string> = new Set(['Deposited', 'Withdrawn', 'TransferSent', 'TransferReceived'])

const emptyTotals = (): Mutable<TotalsView> => ({ accounts: 0, money: 0, events: 0, deposits: 0, withdrawals: 0, transfers: 0, declines: 0, statements: 0 })

function copyState(state: FoldState): FoldState {
  const accounts = new Map<string, FoldedAccount>()
  for (const [id, a] of state.accounts) accounts.set(id, { ...a, lines: [...a.lines] })
  return { accounts, totals: { ...state.totals }, statements: new Map(state.statements) }
}

function deltaOf(type: string, amount: number): number {
  if (type === 'Deposited' || type === 'TransferReceived') return amount
  if (type === 'Withdrawn' || type === 'TransferSent') return -amount
  return 0
}

const MAX_PROBLEMS = 5
const note = (list: string[], message: string): void => {
  if (list.length < MAX_PROBLEMS) list.push(message)
}

/** Reads the whole log (`$all`) once and folds it. */
export async function foldLog(store: EventStore, snapshotAt?: bigint): Promise<LogFold> {
  const state: FoldState = { accounts: new Map(), totals: emptyTotals(), statements: new Map() }
  const byKey = new Map<string, KeyEvents>()
  const transfers = new Map<string, TransferHalves>()
  const ids = new Set<string>()
  const problems = { belowZero: [] as string[], decisions: [] as string[], structure: [] as string[], keys: [] as string[] }
  let head = 0n
  let headId: string | undefined
  let events = 0
  let deposited = 0
  let withdrawn = 0
  let lowestBalance = 0
  let atSnapshot: FoldState | undefined
  let snapshotEventId: string | undefined

  const apply = (e: RecordedEvent): void => {
    events++
    if (e.position <= head) note(problems.structure, `position ${e.position} after ${head}: $all out of order`)
    head = e.position
    headId = e.id
    if (ids.has(e.id)) note(problems.keys, `event id ${e.id} twice in the log`)
    ids.add(e.id)
    const accountId = e.streamName.startsWith('account-') ? e.streamName.slice(8) : undefined
    if (accountId === undefined) return note(problems.structure, `event ${e.id} in stream ${e.streamName}, not an account`)
    const data = e.data as Record<string, unknown>
    const amount = typeof data.amount === 'number' ? data.amount : 0
    let account = state.accounts.get(accountId)
    const expectedRevision = account === undefined ? 0 : account.revision + 1
    if (e.revision !== expectedRevision) note(problems.structure, `${e.streamName}: revision ${e.revision} where ${expectedRevision} was due`)
    if (account === undefined) {
      if (e.type !== 'AccountOpened') return note(problems.structure, `${e.streamName} starts with ${e.type}`)
      account = { accountId, owner: String(data.owner), balance: 0, revision: -1, lineCount: 0, lines: [] }
      state.accounts.set(accountId, account)
      state.totals.accounts++
    } else if (e.type === 'AccountOpened') {
      note(problems.structure, `${e.streamName} opened twice`)
    }
    const before = account.balance
    const delta = deltaOf(e.type, amount)
    account.balance += delta
    account.revision = e.revision
    lowestBalance = Math.min(lowestBalance, account.balance)
    if (account.balance < 0) note(problems.belowZero, `${accountId} at ${account.balance} cents after revision ${e.revision}`)
    // Every decision was taken on the state it names: the recorded balance is the fold's.
    if (RECORDS_BALANCE_AFTER.has(e.type) && data.balance !== account.balance) {
      note(problems.decisions, `${e.streamName}@${e.revision} ${e.type} records balance ${String(data.balance)}, the log folds to ${account.balance}`)
    }
    if ((e.type === 'WithdrawalDeclined' || e.type === 'TransferDeclined') && (data.balance !== before || amount <= before)) {
      note(problems.decisions, `${e.streamName}@${e.revision} declined ${amount} with balance ${before} (recorded ${String(data.balance)})`)
    }
    state.totals.events++
    state.totals.money += delta
    if (e.type === 'Deposited') {
      state.totals.deposits++
      deposited += amount
    }
    if (e.type === 'Withdrawn') {
      state.totals.withdrawals++
      withdrawn += amount
    }
    if (e.type === 'TransferSent') state.totals.transfers++
    if (e.type === 'WithdrawalDeclined' || e.type === 'TransferDeclined') state.totals.declines++
    if (LINE_TYPES.has(e.type)) {
      const counterparty = typeof data.to === 'string' && e.type !== 'TransferReceived' ? data.to : typeof data.from === 'string' ? data.from : undefined
      account.lines.push({
        seq: account.lineCount++,
        revision: e.revision,
        position: Number(e.position),
        type: e.type,
        amount: delta,
        balance: account.balance,
        ...(counterparty === undefined ? {} : { counterparty }),
      })
      if (account.lines.length > READ_MODEL_LINES_KEPT) account.lines.shift()
    }
    if (e.type === 'StatementIssued') {
      state.totals.statements++
      const s = data as unknown as StatementView & { fromRevision: number }
      state.statements.set(s.objectId, { accountId, statementId: s.statementId, objectId: s.objectId, bytes: s.bytes, sha256: s.sha256, toRevision: s.toRevision, fromRevision: s.fromRevision })
    }
    if (e.type === 'TransferSent' || e.type === 'TransferReceived' || e.type === 'TransferDeclined') {
      const id = String(data.transferId)
      let halves = transfers.get(id)
      if (halves === undefined) transfers.set(id, (halves = {}))
      const half = { amount, position: e.position }
      if (e.type === 'TransferSent') {
        if (halves.sent !== undefined) note(problems.keys, `transfer ${id} debited twice`)
        halves.sent = { ...half, from: accountId, to: String(data.to) }
      } else if (e.type === 'TransferReceived') {
        if (halves.received !== undefined) note(problems.keys, `transfer ${id} credited twice`)
        halves.received = { ...half, from: String(data.from), to: accountId }
      } else {
        halves.declined = true
      }
    }
    const meta = e.metadata as Partial<CommandMetadata> | undefined
    if (typeof meta?.key !== 'string' || typeof meta.command !== 'string') return note(problems.keys, `event ${e.id} has no command metadata`)
    let booked = byKey.get(meta.key)
    if (booked === undefined) byKey.set(meta.key, (booked = { types: [], streams: [], data: [], positions: [], fingerprint: meta.command }))
    else if (booked.fingerprint !== meta.command) note(problems.keys, `key ${meta.key} booked two different commands`)
    booked.types.push(e.type)
    booked.streams.push(e.streamName)
    booked.data.push(data)
    booked.positions.push(e.position)
  }

  for await (const e of store.readAll()) {
    apply(e)
    if (snapshotAt !== undefined && e.position === snapshotAt) {
      atSnapshot = copyState(state)
      snapshotEventId = e.id
    }
  }
  if (snapshotAt === 0n) atSnapshot = { accounts: new Map(), totals: emptyTotals(), statements: new Map() }
  return { head, headId, events, final: state, atSnapshot, snapshotEventId, byKey, transfers, deposited, withdrawn, lowestBalance, problems }
}
