import { safeJoin } from '@quire/vfs'
import type { StoreErrorClass } from './errors.js'

/** Canonical lower-case UUID (any version): the only ids either store accepts. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Length of a canonical UUID in characters (and ASCII bytes). */
export const UUID_CHARS = 36

/** True when `value` is a canonical lower-case UUID string. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value)
}

/**
 * Throws `INVALID_ARGUMENT` (as `ErrorClass`) unless `value` is a canonical lower-case UUID.
 * Called before any I/O, so a bad id never reaches a path.
 */
export function assertUuid(value: unknown, what: string, ErrorClass: StoreErrorClass): asserts value is string {
  if (!isUuid(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : typeof value
    throw new ErrorClass('INVALID_ARGUMENT', `${what} must be a lower-case canonical UUID, got ${shown}`)
  }
}

/** The depth-3 prefix directories of `id` under `root`: `root/a`, `root/a/b`, `root/a/b/c`. */
export function prefixDirs(root: string, id: string): [string, string, string] {
  const a = safeJoin(root, id.charAt(0))
  const b = safeJoin(a, id.charAt(1))
  return [a, b, safeJoin(b, id.charAt(2))]
}

/** The leaf directory of `id` under `root` (gonk's `a/b/c/`). */
export function leafDir(root: string, id: string): string {
  return safeJoin(root, id.charAt(0), id.charAt(1), id.charAt(2))
}

/** True when `name` is one hexadecimal digit: the only names prefix directories have. */
export function isPrefixSegment(name: string): boolean {
  return /^[0-9a-f]$/.test(name)
}
