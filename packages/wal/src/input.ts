import { InvalidArgumentError } from './errors.js'
import { integerOption } from '@quire/durable'
import { WAL_MAX_BATCH_BYTES, WAL_MAX_BATCH_ENTRIES, WAL_MAX_KEY_BYTES, WAL_MAX_SEQ, WAL_MAX_VALUE_BYTES } from './limits.js'
import { COMMIT_FRAME_BYTES, opFrameBytes } from './record.js'
import type { WalOp } from './types.js'

/** Checks one operation; returns it typed. Throws `InvalidArgumentError`. */
export function checkOp(value: unknown, where = 'operation'): WalOp {
  if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`${where} must be an object`)
  let op: unknown, key: unknown, v: unknown
  try {
    ;({ op, key, value: v } = value as { op?: unknown; key?: unknown; value?: unknown })
  } catch (err) {
    // A getter or a Proxy that throws: the caller's object cannot be read, which is bad input.
    throw new InvalidArgumentError(`${where} could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  if (op !== 'put' && op !== 'delete') throw new InvalidArgumentError(`${where}.op must be 'put' or 'delete'`)
  if (!(key instanceof Uint8Array)) throw new InvalidArgumentError(`${where}.key must be a Uint8Array`)
  if (key.byteLength > WAL_MAX_KEY_BYTES) {
    throw new InvalidArgumentError(`${where}.key is ${key.byteLength} bytes; the limit is WAL_MAX_KEY_BYTES = ${WAL_MAX_KEY_BYTES}`)
  }
  if (op === 'put') {
    if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(`${where}.value must be a Uint8Array for a put`)
    if (v.byteLength > WAL_MAX_VALUE_BYTES) {
      throw new InvalidArgumentError(`${where}.value is ${v.byteLength} bytes; the limit is WAL_MAX_VALUE_BYTES = ${WAL_MAX_VALUE_BYTES}`)
    }
  } else if (v !== undefined && v !== null) {
    throw new InvalidArgumentError(`${where}.value must be absent for a delete`)
  }
  // A fresh object of what was checked: a getter or a Proxy must not hand the encoder something
  // else than what was validated, and a caller reusing its object must not change what is written.
  return op === 'put' ? { op, key, value: v as Uint8Array } : { op, key }
}

/** Checks a batch; returns its ops and their encoded size (without the COMMIT). */
export function checkBatch(value: unknown): { ops: readonly WalOp[]; bytes: number } {
  if (!Array.isArray(value)) throw new InvalidArgumentError('a batch must be an array of operations')
  if (value.length === 0) throw new InvalidArgumentError('a batch must not be empty')
  if (value.length > WAL_MAX_BATCH_ENTRIES) {
    throw new InvalidArgumentError(`a batch has ${value.length} operations; the limit is WAL_MAX_BATCH_ENTRIES = ${WAL_MAX_BATCH_ENTRIES}`)
  }
  let bytes = 0
  // A copy of the checked operations: the caller may reuse or change its array afterwards.
  const ops: WalOp[] = []
  for (let i = 0; i < value.length; i++) {
    const op = checkOp(value[i], `batch[${i}]`)
    ops.push(op)
    bytes += opFrameBytes(op)
  }
  if (bytes + COMMIT_FRAME_BYTES > WAL_MAX_BATCH_BYTES) {
    throw new InvalidArgumentError(`a batch encodes to ${bytes + COMMIT_FRAME_BYTES} bytes; the limit is WAL_MAX_BATCH_BYTES = ${WAL_MAX_BATCH_BYTES}`)
  }
  return { ops, bytes }
}

/** A seq argument: an integer in `[0, WAL_MAX_SEQ]`. Throws `InvalidArgumentError`. */
export function checkSeq(value: unknown, name: string): number {
  return integerOption(name, value, { min: 0, max: WAL_MAX_SEQ })
}

/** The clock's reading as a u64-safe integer. */
export function checkTimestamp(value: number): number {
  const t = Math.floor(value)
  if (!(t >= 0 && t <= WAL_MAX_SEQ)) throw new InvalidArgumentError(`now() returned ${value}; it must be a non-negative finite number`)
  return t
}
