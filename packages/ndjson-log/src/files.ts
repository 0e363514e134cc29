import { basename, dirname, join, resolve } from 'node:path'
import { isQuarantineFile } from '@quire/vfs'
import { InvalidArgumentError } from './errors.js'

/** Digits of an archive number (zero-padded); more appear after 999999. */
export const ARCHIVE_NUMBER_DIGITS = 6

/** The names a log at one path uses (see FORMAT.md, "Files"). */
export interface LogFiles {
  /** The active file (absolute). */
  readonly path: string
  readonly dir: string
  /** The active file's base name. */
  readonly base: string
  /** `base` without a trailing `.ndjson`: archives are `<stem>.NNNNNN.ndjson`. */
  readonly stem: string
  /** The directory holding the writer's lock. */
  readonly lockDir: string
}

const ARCHIVE_PATTERN = /\.(\d{6,})\.ndjson$/

export function logFiles(path: string): LogFiles {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path must be a non-empty string')
  if (path.includes('\0')) throw new InvalidArgumentError('path must not contain NUL')
  const absolute = resolve(path)
  const base = basename(absolute)
  if (base === '' || absolute === dirname(absolute)) throw new InvalidArgumentError(`${path}: not a file path`)
  if (ARCHIVE_PATTERN.test(base)) {
    throw new InvalidArgumentError(`${path}: that name is an archive name (<stem>.NNNNNN.ndjson); choose another`)
  }
  const stem = base.endsWith('.ndjson') && base.length > '.ndjson'.length ? base.slice(0, -'.ndjson'.length) : base
  // The lock is named after the stem, like the archives: `ev` and `ev.ndjson` share archive
  // names, so they must share one writer too.
  return { path: absolute, dir: dirname(absolute), base, stem, lockDir: join(dirname(absolute), `${stem}.ndjson.lock`) }
}

/** The other active-file name that shares this log's archives (`ev` for `ev.ndjson`, and back). */
export function siblingPath(files: LogFiles): string {
  return join(files.dir, files.base === files.stem ? `${files.stem}.ndjson` : files.stem)
}

/** The file name of archive number `n`. */
export function archiveName(files: LogFiles, n: number): string {
  return `${files.stem}.${String(n).padStart(ARCHIVE_NUMBER_DIGITS, '0')}.ndjson`
}

/** The archive number of a directory entry, or undefined when it is not one of this log's archives. */
export function archiveNumber(files: LogFiles, name: string): number | undefined {
  if (!name.startsWith(`${files.stem}.`)) return undefined
  const rest = name.slice(files.stem.length)
  const match = /^\.(\d{6,})\.ndjson$/.exec(rest)
  if (match === null) return undefined
  const n = Number(match[1])
  return Number.isSafeInteger(n) && n >= 1 && name === archiveName(files, n) ? n : undefined
}

/** True for a temporary file `writeFileAtomic` left behind for the active file or a quarantine file. */
export function isOwnTempFile(files: LogFiles, name: string): boolean {
  if (!name.startsWith(`${files.base}.`) || !/\.[0-9a-f]{12}\.tmp$/.test(name)) return false
  const target = name.slice(0, -'.123456789abc.tmp'.length)
  return target === files.base || (target.startsWith(`${files.base}.`) && isQuarantineFile(target))
}
