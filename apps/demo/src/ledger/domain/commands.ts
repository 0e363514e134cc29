import { badRequest } from '../errors.js'
import { ACCOUNT_ID_PATTERN, MAX_AMOUNT_CENTS, MAX_OWNER_LENGTH } from '../limits.js'

/** What a client asks the ledger to do. Amounts are integer cents. */
export type Command =
  | { readonly kind: 'open'; readonly accountId: string; readonly owner: string }
  | { readonly kind: 'deposit'; readonly accountId: string; readonly amount: number }
  | { readonly kind: 'withdraw'; readonly accountId: string; readonly amount: number }
  | { readonly kind: 'transfer'; readonly from: string; readonly to: string; readonly amount: number }
  | { readonly kind: 'statement'; readonly accountId: string }

export type CommandKind = Command['kind']

type Body = Record<string, unknown>

function object(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('INVALID_BODY', 'the body must be a JSON object')
  return body as Body
}

/** An account id from a path or a body field. @throws LedgerError 400 `INVALID_ACCOUNT_ID`. */
export function accountId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ACCOUNT_ID_PATTERN.test(value)) {
    throw badRequest('INVALID_ACCOUNT_ID', `${field} must be 1..40 lowercase letters, digits or dashes`)
  }
  return value
}

/** @throws LedgerError 400 `INVALID_AMOUNT`: not an integer number of cents in 1..MAX_AMOUNT_CENTS. */
function amount(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_AMOUNT_CENTS) {
    throw badRequest('INVALID_AMOUNT', `amount must be an integer number of cents in 1..${MAX_AMOUNT_CENTS}`)
  }
  return value
}

function owner(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_OWNER_LENGTH) {
    throw badRequest('INVALID_OWNER', `owner must be a non-empty string of at most ${MAX_OWNER_LENGTH} characters`)
  }
  return value
}

/** The command of a request body; every field checked. @throws LedgerError 400 on bad input. */
export function parseCommand(kind: CommandKind, pathAccount: string | undefined, rawBody: unknown): Command {
  const body = object(rawBody)
  switch (kind) {
    case 'open':
      return { kind, accountId: accountId(body.accountId, 'accountId'), owner: owner(body.owner) }
    case 'deposit':
    case 'withdraw':
      return { kind, accountId: accountId(pathAccount, 'account'), amount: amount(body.amount) }
    case 'transfer': {
      const from = accountId(body.from, 'from')
      const to = accountId(body.to, 'to')
      if (from === to) throw badRequest('SAME_ACCOUNT', 'a transfer needs two different accounts')
      return { kind, from, to, amount: amount(body.amount) }
    }
    case 'statement':
      return { kind, accountId: accountId(pathAccount, 'account') }
  }
}

/** The command's fields in a fixed order: what its fingerprint covers. */
export function canonicalCommand(command: Command): readonly (string | number)[] {
  switch (command.kind) {
    case 'open':
      return [command.kind, command.accountId, command.owner]
    case 'deposit':
    case 'withdraw':
      return [command.kind, command.accountId, command.amount]
    case 'transfer':
      return [command.kind, command.from, command.to, command.amount]
    case 'statement':
      return [command.kind, command.accountId]
  }
}
