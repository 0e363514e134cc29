import type { Command } from '../../ledger/domain/commands.js'
import type { Prng } from '../prng.js'

/** The demo bank's accounts: `acct-0000`, `acct-0001`, ... */
export const accountName = (i: number): string => `acct-${String(i).padStart(4, '0')}`

/** Every account starts with this many cents (1 000.00). */
export const OPENING_DEPOSIT_CENTS = 100_000

/** The HTTP request of a command. */
export function requestOf(command: Command): { readonly path: string; readonly body: string } {
  switch (command.kind) {
    case 'open':
      return { path: '/accounts', body: JSON.stringify({ accountId: command.accountId, owner: command.owner }) }
    case 'deposit':
      return { path: `/accounts/${command.accountId}/deposits`, body: JSON.stringify({ amount: command.amount }) }
    case 'withdraw':
      return { path: `/accounts/${command.accountId}/withdrawals`, body: JSON.stringify({ amount: command.amount }) }
    case 'transfer':
      return { path: '/transfers', body: JSON.stringify({ from: command.from, to: command.to, amount: command.amount }) }
    case 'statement':
      return { path: `/accounts/${command.accountId}/statements`, body: '{}' }
  }
}

/** An account, a quarter of the time one of four hot ones (so commands contend for them). */
export function pickAccount(rng: Prng, accounts: number): string {
  return accountName(rng.next() < 0.25 ? rng.int(0, Math.min(3, accounts - 1)) : rng.int(0, accounts - 1))
}

/** Cents, spread over three orders of magnitude (so some withdrawals and transfers are declined). */
const amount = (rng: Prng, max: number): number => Math.max(1, Math.round(max * Math.pow(10, -3 * rng.next())))

/** What a client does next. */
export type Step =
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'repeat' }
  | { readonly kind: 'bad' }
  | { readonly kind: 'read'; readonly what: 'account' | 'statement' | 'totals' | 'document' | 'health' }

/**
 * A realistic mix: mostly transfers, deposits and withdrawals; some statement documents; exact
 * repeats of acknowledged commands (a client retrying after a lost reply); a few bad requests;
 * and reads of balances, statements, totals and documents.
 */
export function nextStep(rng: Prng, accounts: number): Step {
  const r = rng.next()
  if (r < 0.32) {
    const from = pickAccount(rng, accounts)
    let to = pickAccount(rng, accounts)
    while (to === from) to = pickAccount(rng, accounts)
    return { kind: 'command', command: { kind: 'transfer', from, to, amount: amount(rng, 60_000) } }
  }
  if (r < 0.48) return { kind: 'command', command: { kind: 'deposit', accountId: pickAccount(rng, accounts), amount: amount(rng, 50_000) } }
  if (r < 0.64) return { kind: 'command', command: { kind: 'withdraw', accountId: pickAccount(rng, accounts), amount: amount(rng, 80_000) } }
  if (r < 0.645) return { kind: 'command', command: { kind: 'statement', accountId: pickAccount(rng, accounts) } }
  if (r < 0.67) return { kind: 'repeat' }
  if (r < 0.69) return { kind: 'bad' }
  if (r < 0.83) return { kind: 'read', what: 'account' }
  if (r < 0.92) return { kind: 'read', what: 'statement' }
  if (r < 0.96) return { kind: 'read', what: 'totals' }
  if (r < 0.99) return { kind: 'read', what: 'document' }
  return { kind: 'read', what: 'health' }
}

/** A deliberately bad request: what is sent and which statuses are the right answer. */
export interface BadRequest {
  readonly kind: string
  readonly method: string
  readonly path: string
  readonly body?: string
  /** Omitted: no Idempotency-Key header at all. */
  readonly key?: string
  readonly expected: readonly number[]
}

/**
 * One of the bad requests the service must refuse with a 4xx, changing nothing. `reuse` is an
 * acknowledged command's key, sent again for another command (422).
 */
export function badRequest(rng: Prng, key: string, accounts: number, reuse: { readonly key: string; readonly command: Command } | undefined): BadRequest {
  const account = pickAccount(rng, accounts)
  const kinds = ['malformed-json', 'unknown-account', 'negative-amount', 'fractional-amount', 'string-amount', 'oversized-body', 'missing-key', 'same-account', 'unknown-route', 'reused-key']
  const kind = rng.pick(kinds)
  const deposit = `/accounts/${account}/deposits`
  switch (kind) {
    case 'malformed-json':
      return { kind, method: 'POST', path: deposit, body: '{"amount": 12', key, expected: [400] }
    case 'unknown-account':
      return { kind, method: 'POST', path: `/accounts/nobody-${rng.int(0, 1e6)}/deposits`, body: '{"amount": 500}', key, expected: [404] }
    case 'negative-amount':
      return { kind, method: 'POST', path: `/accounts/${account}/withdrawals`, body: '{"amount": -500}', key, expected: [400] }
    case 'fractional-amount':
      return { kind, method: 'POST', path: deposit, body: '{"amount": 10.5}', key, expected: [400] }
    case 'string-amount':
      return { kind, method: 'POST', path: deposit, body: '{"amount": "100"}', key, expected: [400] }
    case 'oversized-body':
      return { kind, method: 'POST', path: deposit, body: JSON.stringify({ amount: 100, note: 'x'.repeat(64 * 1024) }), key, expected: [413] }
    case 'missing-key':
      return { kind, method: 'POST', path: deposit, body: '{"amount": 100}', expected: [400] }
    case 'same-account':
      return { kind, method: 'POST', path: '/transfers', body: JSON.stringify({ from: account, to: account, amount: 100 }), key, expected: [400] }
    case 'unknown-route':
      return { kind, method: 'POST', path: `/accounts/${account}/loans`, body: '{"amount": 100}', key, expected: [404] }
    default: {
      if (reuse === undefined) return { kind: 'malformed-json', method: 'POST', path: deposit, body: '{', key, expected: [400] }
      // The same key, another command: a deposit of an amount no acknowledged command under it had.
      const other: Command = { kind: 'deposit', accountId: account, amount: 424_242 }
      const { path, body } = requestOf(other)
      return { kind: 'reused-key', method: 'POST', path, body, key: reuse.key, expected: [422] }
    }
  }
}
