import { balanceDelta, type AccountEvent } from './events.js'

/** The write side's view of one account: what a decision needs, folded from its stream. */
export interface AccountState {
  readonly opened: boolean
  readonly accountId: string
  readonly owner: string
  /** Cents, never below zero. */
  readonly balance: number
  /** Id of the `AccountOpened` event: tells a retried open from a second one. */
  readonly openedBy: string
  /** Events folded so far: the revision the next event gets. */
  readonly events: number
}

/** Bump when {@link AccountState} changes shape: older snapshots are then ignored and streams replayed. */
export const ACCOUNT_SCHEMA_VERSION = 1

export const initialAccount = (): AccountState => ({
  opened: false,
  accountId: '',
  owner: '',
  balance: 0,
  openedBy: '',
  events: 0,
})

/**
 * Applies one event. It gets recorded events while loading and the decided events (with their
 * ids) for the state after a command, so it reads `type`, `data` and `id` only.
 */
export function evolveAccount(state: AccountState, event: { readonly type: string; readonly data: unknown; readonly id?: string }): AccountState {
  const e = event as AccountEvent & { readonly id?: string }
  const events = state.events + 1
  if (e.type === 'AccountOpened') {
    return { ...state, opened: true, accountId: e.data.accountId, owner: e.data.owner, openedBy: e.id ?? '', events }
  }
  return { ...state, balance: state.balance + balanceDelta(e), events }
}
