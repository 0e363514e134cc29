/**
 * The ledger's events. One stream per account, `account-<accountId>`; every event carries
 * {@link CommandMetadata}. Amounts and balances are integer cents. Events that move money
 * record the balance after them, so a reader (the invariant checker) can prove that every
 * decision was taken on the state it claims.
 */

/** The account stream of `accountId`. */
export const accountStream = (accountId: string): string => `account-${accountId}`

/** The account id of a stream name, or `undefined` for a stream that is not an account. */
export function accountIdOf(streamName: string): string | undefined {
  return streamName.startsWith('account-') ? streamName.slice('account-'.length) : undefined
}

/** Metadata of every ledger event: which client command booked it. */
export interface CommandMetadata {
  /** The client's idempotency key. */
  readonly key: string
  /** Fingerprint of the command (see `fingerprint`): a key reused for another command differs here. */
  readonly command: string
}

export interface AccountOpened {
  readonly type: 'AccountOpened'
  readonly data: { readonly accountId: string; readonly owner: string }
}
export interface Deposited {
  readonly type: 'Deposited'
  readonly data: { readonly amount: number; readonly balance: number }
}
export interface Withdrawn {
  readonly type: 'Withdrawn'
  readonly data: { readonly amount: number; readonly balance: number }
}
/** A withdrawal refused for insufficient funds: recorded, so a retry gets the same answer. */
export interface WithdrawalDeclined {
  readonly type: 'WithdrawalDeclined'
  readonly data: { readonly amount: number; readonly balance: number; readonly reason: 'INSUFFICIENT_FUNDS' }
}
/** The debit half of a transfer, in the source account's stream. */
export interface TransferSent {
  readonly type: 'TransferSent'
  readonly data: { readonly transferId: string; readonly to: string; readonly amount: number; readonly balance: number }
}
/** The credit half of a transfer, in the target account's stream, in the same commit. */
export interface TransferReceived {
  readonly type: 'TransferReceived'
  readonly data: { readonly transferId: string; readonly from: string; readonly amount: number; readonly balance: number }
}
export interface TransferDeclined {
  readonly type: 'TransferDeclined'
  readonly data: {
    readonly transferId: string
    readonly to: string
    readonly amount: number
    readonly balance: number
    readonly reason: 'INSUFFICIENT_FUNDS'
  }
}
/** A statement document was asked for: it will cover revisions `fromRevision..toRevision`. */
export interface StatementRequested {
  readonly type: 'StatementRequested'
  readonly data: { readonly statementId: string; readonly fromRevision: number; readonly toRevision: number }
}
/** The statement document is a finalized object of the depot: `objectId`, `bytes` long, SHA-256 `sha256`. */
export interface StatementIssued {
  readonly type: 'StatementIssued'
  readonly data: {
    readonly statementId: string
    readonly objectId: string
    readonly bytes: number
    readonly sha256: string
    readonly fromRevision: number
    readonly toRevision: number
  }
}

export type AccountEvent =
  | AccountOpened
  | Deposited
  | Withdrawn
  | WithdrawalDeclined
  | TransferSent
  | TransferReceived
  | TransferDeclined
  | StatementRequested
  | StatementIssued

export type AccountEventType = AccountEvent['type']

/** An account event as decided: type, data, and the id and metadata it is appended with. */
export type DecidedAccountEvent = AccountEvent & { readonly id: string; readonly metadata: CommandMetadata }

const TYPES: ReadonlySet<string> = new Set<AccountEventType>([
  'AccountOpened',
  'Deposited',
  'Withdrawn',
  'WithdrawalDeclined',
  'TransferSent',
  'TransferReceived',
  'TransferDeclined',
  'StatementRequested',
  'StatementIssued',
])

/** Narrows a stored `{ type, data }` to an account event (the ledger wrote it; the type is trusted). */
export function asAccountEvent(event: { readonly type: string; readonly data: unknown }): AccountEvent {
  if (!TYPES.has(event.type)) throw new Error(`not a ledger event type: ${event.type}`)
  return event as AccountEvent
}

/** How an event changes its account's balance, in cents. */
export function balanceDelta(event: AccountEvent): number {
  switch (event.type) {
    case 'Deposited':
    case 'TransferReceived':
      return event.data.amount
    case 'Withdrawn':
    case 'TransferSent':
      return -event.data.amount
    default:
      return 0
  }
}
