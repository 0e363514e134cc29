import { InvalidArgumentError } from './errors.js'
import {
  WAL_DEFAULT_MAX_QUEUED_BYTES,
  WAL_DEFAULT_MAX_QUEUED_OPERATIONS,
  WAL_DEFAULT_SEGMENT_BYTES,
  WAL_MAX_BATCH_BYTES,
  WAL_MAX_BATCH_ENTRIES,
  WAL_MAX_KEY_BYTES,
  WAL_MAX_SEGMENT_BYTES,
  WAL_MAX_SEQ,
  WAL_MAX_VALUE_BYTES,
  WAL_MIN_SEGMENT_BYTES,
} from './limits.js'
import { COMMIT_FRAME_BYTES, opFrameBytes } from './record.js'
import type { WalOp, WalOptions, WalRecoveryMode } from './types.js'

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

export function checkSeq(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > WAL_MAX_SEQ) {
    throw new InvalidArgumentError(`${name} must be a non-negative safe integer`)
  }
  return value
}

export interface ResolvedOptions {
  readonly syncAlways: boolean
  readonly segmentBytes: number
  readonly recovery: WalRecoveryMode
  readonly now: () => number
  readonly minLastSeq: number
  readonly maxQueuedOperations: number
  readonly maxQueuedBytes: number
}

export function checkOptions(opts: WalOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('options must be an object')
  const sync = opts.sync ?? 'always'
  if (sync !== 'always' && sync !== 'none') throw new InvalidArgumentError("sync must be 'always' or 'none'")
  const segmentBytes = opts.segmentBytes ?? WAL_DEFAULT_SEGMENT_BYTES
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < WAL_MIN_SEGMENT_BYTES || segmentBytes > WAL_MAX_SEGMENT_BYTES) {
    throw new InvalidArgumentError(`segmentBytes must be an integer in [${WAL_MIN_SEGMENT_BYTES}, ${WAL_MAX_SEGMENT_BYTES}]`)
  }
  const recovery = opts.recovery ?? 'strict'
  if (recovery !== 'strict' && recovery !== 'point-in-time' && recovery !== 'skip-corrupt') {
    throw new InvalidArgumentError("recovery must be 'strict', 'point-in-time' or 'skip-corrupt'")
  }
  const now = opts.now ?? Date.now
  if (typeof now !== 'function') throw new InvalidArgumentError('now must be a function')
  if (opts.fs !== undefined && (typeof opts.fs !== 'object' || opts.fs === null)) throw new InvalidArgumentError('fs must be a FileSystem')
  const minLastSeq = opts.minLastSeq ?? 0
  if (!Number.isSafeInteger(minLastSeq) || minLastSeq < 0) throw new InvalidArgumentError('minLastSeq must be a safe integer >= 0')
  const maxQueuedOperations = opts.maxQueuedOperations ?? WAL_DEFAULT_MAX_QUEUED_OPERATIONS
  if (!Number.isSafeInteger(maxQueuedOperations) || maxQueuedOperations < 1) {
    throw new InvalidArgumentError('maxQueuedOperations must be a safe integer >= 1')
  }
  const maxQueuedBytes = opts.maxQueuedBytes ?? WAL_DEFAULT_MAX_QUEUED_BYTES
  if (!Number.isSafeInteger(maxQueuedBytes) || maxQueuedBytes < 1) throw new InvalidArgumentError('maxQueuedBytes must be a safe integer >= 1')
  return { syncAlways: sync === 'always', segmentBytes, recovery, now, minLastSeq, maxQueuedOperations, maxQueuedBytes }
}

/** The clock's reading as a u64-safe integer. */
export function checkTimestamp(value: number): number {
  const t = Math.floor(value)
  if (!(t >= 0 && t <= WAL_MAX_SEQ)) throw new InvalidArgumentError(`now() returned ${value}; it must be a non-negative finite number`)
  return t
}
