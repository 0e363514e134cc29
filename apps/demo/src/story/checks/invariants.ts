import type { RecordedEvent } from '@quire/event-store'
import { accountStream, asAccountEvent, type AccountEvent } from '../../ledger/domain/events.js'
import type { Ledger } from '../../ledger/ledger.js'
import type { ReadModelContents } from '../../ledger/read-model.js'
import { readsBackAs, renderStatement, sha256Hex } from '../../ledger/statements.js'
import { BOOKABLE, expectedTypes, type AckedCommand, type Expectations } from './expectations.js'
import { foldLog, type FoldState, type LogFold } from './fold.js'

/** One invariant, checked: its name, whether it held, and the figures (or the first violations). */
export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

export interface CheckOptions {
  /**
   * `as-left`: the stores exactly as a kill or power cut left them (the read model and the
   * audit file may lag the log, never disagree with it); `caught-up`: after the recovered
   * service caught up (they must hold the whole log).
   */
  readonly phase: 'as-left' | 'caught-up'
  /** The two halves of a transfer must have adjacent positions (one commit in an embedded log). */
  readonly sameCommitTransfers: boolean
  /** Documents already verified in an earlier round (skipped; filled in as they pass). */
  readonly verifiedDocuments: Set<string>
}

const money = (cents: number): string => {
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  return `${sign}${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`
}
const n = (x: number): string => x.toLocaleString('en-US')
const check = (name: string, problems: readonly string[], detail: string): Check => ({
  name,
  ok: problems.length === 0,
  detail: problems.length === 0 ? detail : problems.slice(0, 3).join('; '),
})

function moneyConserved(fold: LogFold): Check {
  const problems: string[] = []
  let total = 0
  for (const a of fold.final.accounts.values()) total += a.balance
  if (total !== fold.deposited - fold.withdrawn) {
    problems.push(`the accounts hold ${money(total)}, but deposits ${money(fold.deposited)} - withdrawals ${money(fold.withdrawn)} = ${money(fold.deposited - fold.withdrawn)}`)
  }
  return check(
    'money conserved in the log',
    problems,
    `${money(total)} in ${fold.final.accounts.size} accounts = deposits ${money(fold.deposited)} - withdrawals ${money(fold.withdrawn)}`,
  )
}

function noneBelowZero(fold: LogFold): Check {
  return check(
    'no account below zero',
    [...fold.problems.belowZero, ...fold.problems.decisions],
    `lowest balance after any of ${n(fold.events)} events: ${money(fold.lowestBalance)}; every recorded balance and decline matches the fold`,
  )
}

function transfersWhole(fold: LogFold, sameCommit: boolean): Check {
  const problems: string[] = []
  let whole = 0
  let declined = 0
  for (const [id, t] of fold.transfers) {
    if (t.declined === true) {
      if (t.sent !== undefined || t.received !== undefined) problems.push(`transfer ${id} both declined and booked`)
      declined++
      continue
    }
    const { sent, received } = t
    if (sent === undefined || received === undefined) {
      problems.push(`transfer ${id} has only its ${sent === undefined ? 'credit' : 'debit'}`)
      continue
    }
    if (sent.amount !== received.amount || sent.to !== received.to || sent.from !== received.from) {
      problems.push(`transfer ${id}: debit ${sent.amount} ${sent.from}->${sent.to}, credit ${received.amount} ${received.from}->${received.to}`)
      continue
    }
    if (sameCommit && received.position !== sent.position + 1n) problems.push(`transfer ${id}: halves at positions ${sent.position} and ${received.position}, not one commit`)
    whole++
  }
  return check(
    'every transfer whole',
    [...problems, ...fold.problems.structure],
    `${n(whole)} transfers, each debit with its equal credit${sameCommit ? ' in one commit (adjacent positions)' : ''}; ${n(declined)} declined`,
  )
}

function sameBooking(key: string, ack: AckedCommand, fold: LogFold): string | undefined {
  const booked = fold.byKey.get(key)
  const want = expectedTypes(ack)
  const got = booked?.types ?? []
  if (got.join(',') !== want.join(',')) {
    return `key ${key} (${ack.cmd.kind}, reply ${ack.status}) booked [${got.join(', ')}], expected [${want.join(', ')}]`
  }
  if (booked === undefined) return undefined
  const c = ack.cmd
  const first = booked.data[0]!
  const stream = c.kind === 'transfer' ? accountStream(c.from) : accountStream(c.accountId)
  if (booked.streams[0] !== stream) return `key ${key} booked in ${booked.streams[0]}, not ${stream}`
  if ((c.kind === 'deposit' || c.kind === 'withdraw' || c.kind === 'transfer') && first.amount !== c.amount) return `key ${key} booked ${String(first.amount)}, not ${c.amount}`
  if (c.kind === 'transfer' && booked.streams.length === 2 && booked.streams[1] !== accountStream(c.to)) return `key ${key} credited ${booked.streams[1]}`
  if (c.kind === 'statement' && ack.objectId !== undefined && booked.data[1]?.objectId !== ack.objectId) return `key ${key}: statement object differs from the reply's`
  return undefined
}

function exactlyOnce(fold: LogFold, exp: Expectations): Check {
  const problems = [...fold.problems.keys]
  let acked = 0
  for (const [key, ack] of exp.acked) {
    const wrong = sameBooking(key, ack, fold)
    if (wrong !== undefined) problems.push(wrong)
    else if (expectedTypes(ack).length > 0) acked++
  }
  for (const [key, booked] of fold.byKey) {
    if (!BOOKABLE.includes(booked.types.join(','))) problems.push(`key ${key} booked [${booked.types.join(', ')}]: more than one command`)
  }
  for (const key of exp.refusedKeys) if (fold.byKey.has(key)) problems.push(`refused key ${key} booked ${fold.byKey.get(key)!.types.join(', ')}`)
  problems.push(...exp.repeats.different, ...exp.badRequests.wrong)
  const unacked = fold.byKey.size - acked
  return check(
    'every acknowledged command in the log exactly once',
    problems,
    `${n(acked)} acknowledged commands booked once each` +
      (unacked > 0 ? ` (+${n(unacked)} whose reply a kill cut off)` : '') +
      `; ${n(exp.repeats.total)} exact repeats answered alike; ${n(exp.badRequests.total)} bad requests refused, ${n(exp.refusedKeys.size)} keys checked unbooked`,
  )
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Where the read model differs from the fold (the first few places). */
function readModelDiff(contents: ReadModelContents, state: FoldState): string[] {
  const problems: string[] = []
  if (!sameJson(contents.totals, state.totals)) problems.push(`totals ${JSON.stringify(contents.totals)} vs fold ${JSON.stringify(state.totals)}`)
  if (contents.accounts.size !== state.accounts.size) problems.push(`${contents.accounts.size} accounts vs ${state.accounts.size} in the fold`)
  for (const [id, a] of state.accounts) {
    const v = contents.accounts.get(id)
    if (v === undefined) {
      problems.push(`account ${id} missing`)
      continue
    }
    if (v.balance !== a.balance || v.revision !== a.revision || v.owner !== a.owner || v.lines !== a.lineCount) {
      problems.push(`account ${id}: balance ${v.balance} rev ${v.revision} lines ${v.lines}; fold: balance ${a.balance} rev ${a.revision} lines ${a.lineCount}`)
    } else if (!sameJson(contents.lines.get(id) ?? [], a.lines)) {
      problems.push(`account ${id}: statement lines differ`)
    }
    if (problems.length >= 3) return problems
  }
  if (contents.statements.size !== state.statements.size) problems.push(`${contents.statements.size} documents vs ${state.statements.size} in the fold`)
  for (const [objectId, s] of state.statements) {
    const { fromRevision: _from, ...view } = s
    if (!sameJson(contents.statements.get(objectId), view)) {
      problems.push(`document ${objectId} differs`)
      break
    }
  }
  return problems
}

function readModelMatches(contents: ReadModelContents, fold: LogFold, phase: CheckOptions['phase']): Check {
  const cp = contents.checkpoint
  const problems: string[] = []
  let state: FoldState | undefined = fold.final
  if (phase === 'as-left') {
    state = fold.atSnapshot
    if (cp !== undefined && (state === undefined || fold.snapshotEventId !== cp.eventId)) problems.push(`checkpoint ${cp.position} (${cp.eventId}) names no such event of the log`)
  }
  if (state !== undefined) problems.push(...readModelDiff(contents, state))
  const at = cp === undefined ? 'the empty log' : `its checkpoint, position ${n(cp.position)}`
  return check('read model = fold of the log', problems, `${contents.accounts.size} balances, ${n(state?.totals.events ?? 0)} events folded, lines and totals equal at ${at}`)
}

function checkpointAtHead(contents: ReadModelContents, fold: LogFold, phase: CheckOptions['phase']): Check {
  const cp = contents.checkpoint
  const at = cp === undefined ? 0n : BigInt(cp.position)
  if (phase === 'as-left') {
    return check('read-model checkpoint = log position', [], `as left: checkpoint ${n(Number(at))} of ${n(Number(fold.head))} (${n(Number(fold.head - at))} behind; caught up after recovery)`)
  }
  const problems = at === fold.head && (cp === undefined || cp.eventId === fold.headId) ? [] : [`checkpoint ${at} (${cp?.eventId}) but the log ends at ${fold.head} (${fold.headId})`]
  return check('read-model checkpoint = log position', problems, `checkpoint = last position = ${n(Number(fold.head))}`)
}

async function auditOnce(ledger: Ledger, phase: CheckOptions['phase']): Promise<{ readonly check: Check; readonly lines: number }> {
  const problems: string[] = []
  const log = ledger.store.readAll()[Symbol.asyncIterator]()
  let lines = 0
  for await (const { record } of ledger.auditLog.read()) {
    const next = await log.next()
    if (next.done === true) {
      problems.push(`audit line ${lines + 1} (position ${record.position}) is beyond the end of the log`)
      break
    }
    const e: RecordedEvent = next.value
    if (record.position !== Number(e.position) || record.id !== e.id || record.stream !== e.streamName || record.revision !== e.revision || record.type !== e.type || !sameJson(record.data, e.data)) {
      problems.push(`audit line ${lines + 1} is ${record.type} at position ${record.position} (${record.id}); the log has ${e.type} at ${e.position} (${e.id}) there`)
      break
    }
    lines++
  }
  let behind = 0
  if (problems.length === 0) for (let next = await log.next(); next.done !== true; next = await log.next()) behind++
  await log.return?.()
  if (phase === 'caught-up' && behind > 0) problems.push(`${behind} events of the log are not in the audit file`)
  return {
    check: check('audit file holds each event once', problems, `${n(lines)} lines = the log's first ${n(lines)} events, in order, none twice` + (behind > 0 ? ` (${n(behind)} not yet audited)` : '')),
    lines,
  }
}

async function documentsReadBack(ledger: Ledger, fold: LogFold, exp: Expectations, verified: Set<string>): Promise<Check> {
  const problems: string[] = []
  const byAccount = new Map<string, { objectId: string; statementId: string; fromRevision: number; toRevision: number; bytes: number; sha256: string }[]>()
  for (const s of fold.final.statements.values()) {
    if (verified.has(s.objectId)) continue
    let list = byAccount.get(s.accountId)
    if (list === undefined) byAccount.set(s.accountId, (list = []))
    list.push(s)
  }
  let checked = 0
  for (const [accountId, statements] of byAccount) {
    const upTo = Math.max(...statements.map((s) => s.toRevision))
    const events: (AccountEvent & { revision: number })[] = []
    for await (const e of ledger.store.readStream(accountStream(accountId), { fromRevision: 0, maxCount: upTo + 1 })) events.push({ ...asAccountEvent(e), revision: e.revision })
    const owner = fold.final.accounts.get(accountId)?.owner ?? ''
    for (const s of statements) {
      const bytes = renderStatement({ accountId, owner, statementId: s.statementId, fromRevision: s.fromRevision, toRevision: s.toRevision, events })
      let same = false
      try {
        same = bytes.byteLength === s.bytes && sha256Hex(bytes) === s.sha256 && (await readsBackAs(ledger.depot, s.objectId, bytes))
      } catch (error) {
        problems.push(`document ${s.objectId}: ${error instanceof Error ? error.message : String(error)}`)
        continue
      }
      if (!same) problems.push(`document ${s.objectId} does not read back as issued`)
      else {
        verified.add(s.objectId)
        checked++
      }
    }
  }
  for (const [key, ack] of exp.acked) {
    if (ack.cmd.kind === 'statement' && ack.objectId !== undefined && !fold.final.statements.has(ack.objectId)) problems.push(`statement ${key} acknowledged, its document ${ack.objectId} not issued`)
  }
  const report = await ledger.depot.verify()
  if (!report.ok) problems.push(`depot verify: ${JSON.stringify(report)}`)
  return check('finalized documents read back byte for byte', problems, `${n(fold.final.statements.size)} issued statements (${n(checked)} new ones re-rendered from the log and compared); depot verify clean`)
}

/** What {@link checkLedger} found. */
export interface LedgerInspection {
  readonly checks: Check[]
  readonly fold: LogFold
  /** Events of the log the read model had not applied, and the audit file did not hold. */
  readonly readModelBehind: number
  readonly auditBehind: number
}

/** Every invariant of the ledger, on an open (not yet serving) ledger. */
export async function checkLedger(ledger: Ledger, exp: Expectations, options: CheckOptions): Promise<LedgerInspection> {
  const contents = await ledger.readModel.contents()
  const fold = await foldLog(ledger.store, contents.checkpoint === undefined ? 0n : BigInt(contents.checkpoint.position))
  const checks = [
    moneyConserved(fold),
    noneBelowZero(fold),
    transfersWhole(fold, options.sameCommitTransfers),
    exactlyOnce(fold, exp),
    readModelMatches(contents, fold, options.phase),
    checkpointAtHead(contents, fold, options.phase),
  ]
  const audit = await auditOnce(ledger, options.phase)
  checks.push(audit.check)
  if (options.phase === 'caught-up') checks.push(await documentsReadBack(ledger, fold, exp, options.verifiedDocuments))
  const applied = fold.atSnapshot?.totals.events ?? fold.final.totals.events
  return { checks, fold, readModelBehind: fold.events - applied, auditBehind: fold.events - audit.lines }
}
