import { join } from 'node:path'
import { UnsafePathError } from './errors.js'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The longest file-name segment most file systems accept, in UTF-8 bytes. */
export const MAX_SEGMENT_BYTES = 255

/**
 * Joins `root` with user-influenced `segments`, each of which must be one plain file name: not
 * empty, not `.` or `..`, without `/`, `\` or NUL or a lone UTF-16 surrogate, at most
 * {@link MAX_SEGMENT_BYTES} bytes.
 * Anything else throws {@link UnsafePathError} (code `INVALID_PATH`), so no segment can escape `root`.
 */
export function safeJoin(root: string, ...segments: string[]): string {
  for (const segment of segments) assertSafeSegment(segment)
  return join(root, ...segments)
}

/** Throws {@link UnsafePathError} unless `segment` is one plain file name. */
export function assertSafeSegment(segment: string): void {
  // typeof only: String() of a hostile value throws, or builds gigabytes (a sparse array).
  if (typeof segment !== 'string') throw new UnsafePathError(`(${typeof segment})`, 'not a string')
  if (segment.length === 0) throw new UnsafePathError(segment, 'empty')
  if (segment === '.' || segment === '..') throw new UnsafePathError(segment, 'a relative directory')
  if (/[/\\\0]/.test(segment)) throw new UnsafePathError(segment, 'contains a separator or NUL')
  // A lone surrogate is written as U+FFFD: two different segments would name the same file.
  if (LONE_SURROGATE.test(segment)) throw new UnsafePathError(segment, 'contains a lone UTF-16 surrogate')
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
    throw new UnsafePathError(segment, `longer than ${MAX_SEGMENT_BYTES} bytes`)
  }
}
