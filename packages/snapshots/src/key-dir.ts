import { InvalidArgumentError } from './errors.js'
import { MAX_KEY_BYTES } from './limits.js'

const encoder = new TextEncoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true })

/** Prefix of every key directory; other names in the store directory are not keys. */
const KEY_DIR_PREFIX = 'k-'
const KEY_DIR_PATTERN = /^k-(?:[0-9a-f]{2})+$/
/** With the `u` flag a valid surrogate pair is one code point, so only lone halves match. */
const LONE_SURROGATE = /\p{Cs}/u

/**
 * Validates a key and returns its UTF-8 bytes. A key is any non-empty string of well-formed
 * UTF-16 (no lone surrogates, which UTF-8 cannot carry and would make two keys collide) up to
 * {@link MAX_KEY_BYTES} UTF-8 bytes.
 */
export function keyBytes(key: unknown): Uint8Array {
  if (typeof key !== 'string') throw new InvalidArgumentError(`key must be a string, got ${typeof key}`)
  if (key.length === 0) throw new InvalidArgumentError('key must not be empty')
  if (LONE_SURROGATE.test(key)) throw new InvalidArgumentError('key must be well-formed Unicode (no lone surrogates)')
  const bytes = encoder.encode(key)
  if (bytes.byteLength > MAX_KEY_BYTES) {
    throw new InvalidArgumentError(`key is ${bytes.byteLength} UTF-8 bytes; the limit is ${MAX_KEY_BYTES}`)
  }
  return bytes
}

/** The directory name of a key: `k-` + lowercase hex of its UTF-8 bytes (reversible, path-safe, case-proof). */
export function keyDirName(bytes: Uint8Array): string {
  return KEY_DIR_PREFIX + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** The key a directory name stands for, or `undefined` when the name is not a key directory. */
export function keyFromDirName(name: string): string | undefined {
  if (!KEY_DIR_PATTERN.test(name)) return undefined
  const bytes = Buffer.from(name.slice(KEY_DIR_PREFIX.length), 'hex')
  if (bytes.byteLength > MAX_KEY_BYTES) return undefined
  try {
    return strictDecoder.decode(bytes)
  } catch {
    return undefined
  }
}
