import type { Command } from '../../ledger/domain/commands.js'

/** A command that got a definitive reply, as the load generator reported it. */
export interface AckedCommand {
  readonly cmd: Command
  readonly status: number
  readonly code?: string
  /** The depot object of an issued statement. */
  readonly objectId?: string
}

/** What the clients were told, against which the log is checked. */
export interface Expectations {
  /** Definitive replies by idempotency key (the first reply of each key). */
  readonly acked: ReadonlyMap<string, AckedCommand>
  /** Keys of deliberately bad requests with fresh keys: they must have booked nothing. */
  readonly refusedKeys: ReadonlySet<string>
  /** Exact repeats of acknowledged keys, and those answered differently than the first time. */
  readonly repeats: { readonly total: number; readonly different: readonly string[] }
  /** Deliberately bad requests, and those not refused with the expected 4xx. */
  readonly badRequests: { readonly total: number; readonly wrong: readonly string[] }
}

/**
 * The events a command must have booked, given its reply: 2xx booked its events, a 409
 * `INSUFFICIENT_FUNDS` its recorded decline, any other 4xx nothing.
 */
export function expectedTypes(ack: AckedCommand): readonly string[] {
  const ok = ack.status >= 200 && ack.status < 300
  const declined = ack.status === 409 && ack.code === 'INSUFFICIENT_FUNDS'
  switch (ack.cmd.kind) {
    case 'open':
      return ok ? ['AccountOpened'] : []
    case 'deposit':
      return ok ? ['Deposited'] : []
    case 'withdraw':
      return ok ? ['Withdrawn'] : declined ? ['WithdrawalDeclined'] : []
    case 'transfer':
      return ok ? ['TransferSent', 'TransferReceived'] : declined ? ['TransferDeclined'] : []
    case 'statement':
      return ok ? ['StatementRequested', 'StatementIssued'] : []
  }
}

/** The sets of events one key may have booked (a statement whose client gave up may lack its issue). */
export const BOOKABLE: readonly string[] = [
  'AccountOpened',
  'Deposited',
  'Withdrawn',
  'WithdrawalDeclined',
  'TransferSent,TransferReceived',
  'TransferDeclined',
  'StatementRequested',
  'StatementRequested,StatementIssued',
]
