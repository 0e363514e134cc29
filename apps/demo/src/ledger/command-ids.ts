import { createHash } from 'node:crypto'
import { canonicalCommand, type Command } from './domain/commands.js'
import { badRequest } from './errors.js'
import { MAX_IDEMPOTENCY_KEY_LENGTH } from './limits.js'

// The ledger's UUID namespace (RFC 9562 name-based UUIDs hash a namespace id with the name).
const NAMESPACE = Buffer.from('5a1e9c1f4b3d4e0f9a7c2d8b6e4f1a30', 'hex')

/**
 * The id of the `index`-th event a command with idempotency key `key` books (and of its depot
 * object): a version-5 (SHA-1 name-based) UUID of `key` and `index` in the ledger's namespace,
 * after RFC 9562 §5.5. The same key always gives the same ids, so a retried command proposes
 * the same events and the event store's store-wide unique ids make it book at most once.
 */
export function commandEventId(key: string, index: number): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${key}\u0000${index}`, 'utf8').digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** SHA-256 of the command's canonical fields, hex, 32 characters: stored with every event it books. */
export function fingerprint(command: Command): string {
  return createHash('sha256').update(JSON.stringify(canonicalCommand(command))).digest('hex').slice(0, 32)
}

const KEY_PATTERN = /^[\x21-\x7e]+$/

/**
 * The `Idempotency-Key` header (the IETF httpapi draft's name), checked.
 * @throws LedgerError 400 `MISSING_IDEMPOTENCY_KEY` or `INVALID_IDEMPOTENCY_KEY`.
 */
export function idempotencyKey(header: string | string[] | undefined): string {
  if (header === undefined) throw badRequest('MISSING_IDEMPOTENCY_KEY', 'commands need an Idempotency-Key header')
  if (typeof header !== 'string' || header.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY_PATTERN.test(header)) {
    throw badRequest('INVALID_IDEMPOTENCY_KEY', `Idempotency-Key must be 1..${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`)
  }
  return header
}
