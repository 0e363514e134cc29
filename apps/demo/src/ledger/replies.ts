import { accountIdOf, type AccountEvent } from './domain/events.js'

/** What the HTTP layer sends: a status and a JSON body. */
export interface Reply {
  readonly status: number
  readonly body: Readonly<Record<string, unknown>>
  /** Sent as `text/plain` instead of `body` when present. */
  readonly text?: string
}

/** A JSON-safe position (positions stay far below 2^53 here; checked, not assumed). */
export function positionNumber(position: bigint): number {
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`position ${position} does not fit a JSON number`)
  return Number(position)
}

/**
 * The reply to a command, built from the first event it booked. The same function serves the
 * first execution and every retry (`replay: true`), so a client sees the same answer for a key.
 */
export function replyFor(event: AccountEvent, streamName: string, position: bigint | undefined, replay: boolean): Reply {
  const accountId = accountIdOf(streamName) ?? streamName
  const at = { position: position === undefined ? null : positionNumber(position), replay }
  switch (event.type) {
    case 'AccountOpened':
      return { status: 201, body: { accountId: event.data.accountId, owner: event.data.owner, ...at } }
    case 'Deposited':
    case 'Withdrawn':
      return { status: 200, body: { accountId, amount: event.data.amount, balance: event.data.balance, ...at } }
    case 'WithdrawalDeclined':
      return {
        status: 409,
        body: { error: 'INSUFFICIENT_FUNDS', message: `account ${accountId} holds less than the amount; the decline is recorded`, accountId, amount: event.data.amount, balance: event.data.balance, declined: true, ...at },
      }
    case 'TransferSent':
      return { status: 200, body: { transferId: event.data.transferId, from: accountId, to: event.data.to, amount: event.data.amount, balance: event.data.balance, ...at } }
    case 'TransferReceived':
      return { status: 200, body: { transferId: event.data.transferId, from: event.data.from, to: accountId, amount: event.data.amount, ...at } }
    case 'TransferDeclined':
      return {
        status: 409,
        body: { error: 'INSUFFICIENT_FUNDS', message: `account ${accountId} holds less than the amount; the decline is recorded`, transferId: event.data.transferId, from: accountId, to: event.data.to, amount: event.data.amount, balance: event.data.balance, declined: true, ...at },
      }
    case 'StatementRequested':
      return { status: 202, body: { statementId: event.data.statementId, accountId, ...at } }
    case 'StatementIssued':
      return { status: 201, body: { accountId, ...event.data, ...at } }
  }
}
