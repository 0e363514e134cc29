import { createHash } from 'node:crypto'
import { ObjectState, type Depot } from '@quire/fs-record-keeper'
import { LedgerError } from './errors.js'
import { balanceDelta, type AccountEvent } from './domain/events.js'

/** What a statement document is rendered from: the account and its events `0..toRevision`. */
export interface StatementSource {
  readonly accountId: string
  readonly owner: string
  readonly statementId: string
  readonly fromRevision: number
  readonly toRevision: number
  /** The account stream's events from revision 0 through `toRevision`, in order. */
  readonly events: readonly (AccountEvent & { readonly revision: number })[]
}

const cents = (n: number): string => {
  const sign = n < 0 ? '-' : ''
  const abs = Math.abs(n)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

function describe(event: AccountEvent): string {
  switch (event.type) {
    case 'AccountOpened':
      return `opened for ${event.data.owner}`
    case 'Deposited':
      return 'deposit'
    case 'Withdrawn':
      return 'withdrawal'
    case 'WithdrawalDeclined':
      return `withdrawal of ${cents(event.data.amount)} declined`
    case 'TransferSent':
      return `transfer to ${event.data.to}`
    case 'TransferReceived':
      return `transfer from ${event.data.from}`
    case 'TransferDeclined':
      return `transfer of ${cents(event.data.amount)} to ${event.data.to} declined`
    case 'StatementRequested':
      return 'statement requested'
    case 'StatementIssued':
      return `statement ${event.data.statementId} issued`
  }
}

/**
 * The statement document: plain UTF-8 text, a pure function of its source, so anyone holding
 * the log can render it again and compare it byte for byte with the stored object.
 */
export function renderStatement(source: StatementSource): Uint8Array {
  const lines = [
    'QUIRE LEDGER - ACCOUNT STATEMENT',
    `account:   ${source.accountId}`,
    `owner:     ${source.owner}`,
    `statement: ${source.statementId}`,
    `revisions: ${source.fromRevision}..${source.toRevision}`,
    '',
    `${'rev'.padStart(7)}  ${'amount'.padStart(14)}  ${'balance'.padStart(16)}  description`,
  ]
  let balance = 0
  let opening: number | undefined
  for (const event of source.events) {
    if (event.revision > source.toRevision) break
    if (event.revision === source.fromRevision) opening = balance
    const delta = balanceDelta(event)
    balance += delta
    if (event.revision < source.fromRevision) continue
    const amount = delta === 0 ? '' : `${delta > 0 ? '+' : ''}${cents(delta)}`
    lines.push(`${String(event.revision).padStart(7)}  ${amount.padStart(14)}  ${cents(balance).padStart(16)}  ${describe(event)}`)
  }
  lines.push('', `opening balance: ${cents(opening ?? 0)}`, `closing balance: ${cents(balance)}`, '')
  return new TextEncoder().encode(lines.join('\n'))
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

const isOutOfRange = (error: unknown): boolean => error instanceof Error && 'code' in error && error.code === 'OUT_OF_RANGE'

/**
 * Whether the READABLE object `objectId` holds exactly `bytes`: same length (a read one byte
 * longer is `OUT_OF_RANGE`) and the same content (every block checksum-checked by the depot).
 */
export async function readsBackAs(depot: Depot, objectId: string, bytes: Uint8Array): Promise<boolean> {
  try {
    await depot.read(objectId, 0, bytes.byteLength + 1)
    return false
  } catch (error) {
    if (!isOutOfRange(error)) throw error
  }
  try {
    return sameBytes(await depot.read(objectId, 0, bytes.byteLength), bytes)
  } catch (error) {
    if (isOutOfRange(error)) return false
    throw error
  }
}

/**
 * Stores `bytes` as the depot object `objectId`, READABLE when this resolves: reserve, write,
 * finalize, each durable. Idempotent across kills: an object a killed attempt left WRITABLE is
 * purged and written again; one already READABLE must hold exactly these bytes (the document
 * is deterministic), else `DOCUMENT_MISMATCH` — it is never overwritten.
 */
export async function storeDocument(depot: Depot, objectId: string, bytes: Uint8Array): Promise<void> {
  const state = await depot.state(objectId)
  if (state === ObjectState.READABLE) {
    if (!(await readsBackAs(depot, objectId, bytes))) {
      throw new LedgerError(500, 'DOCUMENT_MISMATCH', `document ${objectId} is stored with other content`)
    }
    return
  }
  if (state === ObjectState.WRITABLE) await depot.purge(objectId)
  await depot.reserve(objectId, bytes.byteLength)
  await depot.write(objectId, 0, bytes)
  await depot.finalize(objectId)
}
