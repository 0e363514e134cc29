import { commandEventId } from '../command-ids.js'
import { conflict, notFound, unprocessable } from '../errors.js'
import { MAX_BALANCE_CENTS, STATEMENT_MAX_LINES } from '../limits.js'
import type { AccountState } from './account.js'
import type { Command } from './commands.js'
import type { CommandMetadata, DecidedAccountEvent } from './events.js'

/**
 * The decisions, as pure functions of the aggregate state (Emmett's `decide`): they may run
 * several times for one command (after a conflict), so they have no side effects. Every command
 * that passes validation books at least one event, a decline included: so a retry of the same
 * key always finds what the first attempt booked (see `write-side.ts`).
 */

/** The command being decided, with the key its event ids derive from. */
export interface Decision<C extends Command = Command> {
  readonly key: string
  readonly command: C
  readonly metadata: CommandMetadata
}

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>

const mustBeOpen = (state: AccountState, accountId: string): void => {
  if (!state.opened) throw notFound('ACCOUNT_NOT_FOUND', `account ${accountId} does not exist`)
}

/** Opens an account; `[]` when this very command opened it already (a retry). */
export function decideOpen(state: AccountState, d: Decision<Of<'open'>>): DecidedAccountEvent[] {
  const id = commandEventId(d.key, 0)
  if (state.opened) {
    if (state.openedBy === id) return []
    throw conflict('ACCOUNT_EXISTS', `account ${d.command.accountId} exists`)
  }
  return [{ id, type: 'AccountOpened', data: { accountId: d.command.accountId, owner: d.command.owner }, metadata: d.metadata }]
}

export function decideDeposit(state: AccountState, d: Decision<Of<'deposit'>>): DecidedAccountEvent[] {
  mustBeOpen(state, d.command.accountId)
  const balance = state.balance + d.command.amount
  if (balance > MAX_BALANCE_CENTS) throw unprocessable('BALANCE_LIMIT', `the balance would exceed ${MAX_BALANCE_CENTS} cents`)
  return [{ id: commandEventId(d.key, 0), type: 'Deposited', data: { amount: d.command.amount, balance }, metadata: d.metadata }]
}

/** A withdrawal, or a recorded decline when the balance does not cover it (never below zero). */
export function decideWithdraw(state: AccountState, d: Decision<Of<'withdraw'>>): DecidedAccountEvent[] {
  mustBeOpen(state, d.command.accountId)
  const id = commandEventId(d.key, 0)
  const { amount } = d.command
  if (state.balance < amount) {
    return [{ id, type: 'WithdrawalDeclined', data: { amount, balance: state.balance, reason: 'INSUFFICIENT_FUNDS' }, metadata: d.metadata }]
  }
  return [{ id, type: 'Withdrawn', data: { amount, balance: state.balance - amount }, metadata: d.metadata }]
}

/**
 * A transfer: the debit for the source stream and the credit for the target stream, appended
 * together in one `multiStreamAppend`; or a recorded decline in the source stream alone.
 */
export function decideTransfer(
  from: AccountState,
  to: AccountState,
  d: Decision<Of<'transfer'>>,
): { readonly from: DecidedAccountEvent[]; readonly to: DecidedAccountEvent[] } {
  mustBeOpen(from, d.command.from)
  mustBeOpen(to, d.command.to)
  const transferId = commandEventId(d.key, 0)
  const { amount } = d.command
  if (from.balance < amount) {
    const data = { transferId, to: d.command.to, amount, balance: from.balance, reason: 'INSUFFICIENT_FUNDS' } as const
    return { from: [{ id: transferId, type: 'TransferDeclined', data, metadata: d.metadata }], to: [] }
  }
  const credited = to.balance + amount
  if (credited > MAX_BALANCE_CENTS) throw unprocessable('BALANCE_LIMIT', `the balance of ${d.command.to} would exceed ${MAX_BALANCE_CENTS} cents`)
  return {
    from: [{ id: transferId, type: 'TransferSent', data: { transferId, to: d.command.to, amount, balance: from.balance - amount }, metadata: d.metadata }],
    to: [
      {
        id: commandEventId(d.key, 1),
        type: 'TransferReceived',
        data: { transferId, from: d.command.from, amount, balance: credited },
        metadata: d.metadata,
      },
    ],
  }
}

/** Asks for a statement of the account's newest events, up to the one before this request. */
export function decideStatement(state: AccountState, d: Decision<Of<'statement'>>): DecidedAccountEvent[] {
  mustBeOpen(state, d.command.accountId)
  const toRevision = state.events - 1
  const fromRevision = Math.max(0, toRevision - STATEMENT_MAX_LINES + 1)
  const statementId = commandEventId(d.key, 0)
  return [{ id: statementId, type: 'StatementRequested', data: { statementId, fromRevision, toRevision }, metadata: d.metadata }]
}
