import { StoreExistsError, StoreNotFoundError } from './errors.js'
import { isFsError, type FileSystem } from './file-system.js'
import { LOCK_FILE_NAME } from './lock.js'
import { expectPathKind } from './path-kind.js'

/**
 * How a store's `open` treats what is, or is not, at its path. The names and defaults are
 * LevelDB's (`createIfMissing`, `errorIfExists`), which `classic-level` and the Level ecosystem
 * kept; `readOnly` is RocksDB's `OpenForReadOnly`.
 */
export interface OpenModeOptions {
  /**
   * Create the store when nothing is at its path (or an empty directory, or a directory holding
   * none of the store's own files: it is created next to them). Default `true`. With `false`,
   * opening a path that holds no store, a non-empty folder of other files included, fails with
   * `NOT_FOUND` and creates nothing, so a typo in a path is an error instead of a fresh, empty store.
   */
  readonly createIfMissing?: boolean
  /** Refuse (`EXISTS`) to open a store that already exists. Default `false`. */
  readonly errorIfExists?: boolean
  /**
   * Open for reading only: take no writer lock, write nothing (no recovery repair, no cleanup),
   * and refuse every write with `READ_ONLY`. Works on a read-only copy of a store. Default
   * `false`. A missing store is `NOT_FOUND` (nothing is created).
   */
  readonly readOnly?: boolean
}

/** {@link OpenModeOptions} with the defaults applied. */
export interface OpenMode {
  readonly createIfMissing: boolean
  readonly errorIfExists: boolean
  readonly readOnly: boolean
}

/** The keys of {@link OpenModeOptions}, for a store's list of known option keys. */
export const OPEN_MODE_KEYS: readonly string[] = ['createIfMissing', 'errorIfExists', 'readOnly']

/**
 * Checks and resolves the open-mode options of `options` (other keys are ignored here).
 * `invalid` makes the package's own `INVALID_ARGUMENT` error.
 */
export function resolveOpenMode(options: OpenModeOptions, invalid: (message: string) => Error): OpenMode {
  // Each option read once (a getter or a Proxy must not answer the check and the use differently),
  // and a read that throws is INVALID_ARGUMENT, never a bare error.
  const read: Record<string, unknown> = {}
  for (const key of OPEN_MODE_KEYS) {
    let value: unknown
    try {
      value = (options as Record<string, unknown>)[key]
    } catch (err) {
      throw withCause(invalid(`${key} could not be read: ${errorText(err)}`), err)
    }
    if (value !== undefined && typeof value !== 'boolean') throw invalid(`${key} must be a boolean, got ${describe(value)}`)
    read[key] = value
  }
  const readOnly = read.readOnly === true
  if (readOnly && read.createIfMissing === true) throw invalid('readOnly: true cannot create a store: drop createIfMissing: true')
  if (readOnly && read.errorIfExists === true) throw invalid('readOnly: true with errorIfExists: true could never open a store')
  return { createIfMissing: !readOnly && read.createIfMissing !== false, errorIfExists: read.errorIfExists === true, readOnly }
}

/**
 * What is at a store's path before `open` changes anything: `'missing'`, `'empty'`, `'foreign'`
 * (a non-empty directory that holds none of the store's own files: someone else's folder, or a
 * typo that names one), `'present'`.
 */
export type StorePathState = 'missing' | 'empty' | 'foreign' | 'present'

/**
 * Looks at a store's path without changing anything: `'missing'` (nothing there), `'empty'` (an
 * empty directory, or an empty file for a file store), `'foreign'` (a directory whose entries are
 * all names `owns` does not claim), `'present'`. Throws `PathKindError` when the path (or one of
 * its parents) is the wrong kind of thing.
 *
 * @param owns for a directory store: whether an entry name is one the store writes (its segments,
 *   its `FORMAT` marker, its temp files; the lock file is claimed here). Claim every name the store may have left,
 *   even after a crash mid-create, so a damaged store stays `'present'` (its open reports the
 *   damage) and is never taken for a stranger's folder. Without it any entry counts as the store.
 */
export async function storePathState(
  fs: FileSystem,
  path: string,
  expected: 'directory' | 'file',
  role: string,
  owns?: (name: string) => boolean,
): Promise<StorePathState> {
  if (!(await expectPathKind(fs, path, expected, role))) return 'missing'
  try {
    if (expected === 'directory') {
      const names = await fs.readdir(path)
      if (names.length === 0) return 'empty'
      // The writer lock (and a stale one set aside) is every store's own name.
      return owns === undefined || names.some((name) => name === LOCK_FILE_NAME || name.startsWith(`${LOCK_FILE_NAME}.`) || owns(name)) ? 'present' : 'foreign'
    }
    return (await fs.stat(path)).size === 0 ? 'empty' : 'present'
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return 'missing' // removed meanwhile
    throw err
  }
}

/**
 * Applies the open mode to what is at the path: `NOT_FOUND` ({@link StoreNotFoundError}) when no
 * store is there and the mode may not create one (a `'foreign'` folder included: its message says
 * it is not empty but holds no store), `EXISTS` ({@link StoreExistsError}) when one is there and
 * `errorIfExists` is set. With `createIfMissing` (the default) a store is created in a
 * `'foreign'` folder next to what is there, as in an empty one: the store only ever writes,
 * sweeps and removes names it owns, so the other files are left as they are. Call it before
 * creating anything.
 */
export function enforceOpenMode(mode: OpenMode, state: StorePathState, path: string, role: string): void {
  if (state === 'present') {
    if (mode.errorIfExists) throw new StoreExistsError(path, role)
    return
  }
  const what = absentReason(state, role)
  if (mode.readOnly) throw new StoreNotFoundError(path, role, `${what}, and readOnly: true creates nothing`)
  if (!mode.createIfMissing) throw new StoreNotFoundError(path, role, `${what}, and createIfMissing is false`)
}

/**
 * Why no store is at a path, for a `NOT_FOUND` message: `'nothing is there'`, `'it is empty'`,
 * `'it is not empty but holds no write-ahead log'` (from `role`, "the write-ahead log's directory").
 */
export function absentReason(state: Exclude<StorePathState, 'present'>, role: string): string {
  if (state === 'missing') return 'nothing is there'
  return state === 'empty' ? 'it is empty' : `it is not empty but holds no ${storeName(role)}`
}

/** "the write-ahead log's directory" → "write-ahead log"; "record keeper (<dir>/rk)" → "record keeper". */
function storeName(role: string): string {
  const owner = /^the (.+)'s directory$/.exec(role)
  if (owner?.[1] !== undefined) return owner[1]
  return role.replace(/ \(.*\)$/, '')
}

/**
 * Refuses options a store does not know: a misspelt option (`{ synk: 'none' }`) must be an
 * error, never silently ignored, least of all one about durability. Throws
 * `invalid("<where>: unknown option \"synk\"")` for the first unknown key, or when `options` is
 * not a plain object (`undefined` is fine: no options).
 *
 * @param where the call, for the message: `"Wal.open"`.
 */
export function checkOptionKeys(options: unknown, known: Iterable<string>, where: string, invalid: (message: string) => Error): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalid(`${where}: options must be an object, got ${describe(options)}`)
  const knownSet = known instanceof Set ? (known as ReadonlySet<string>) : new Set(known)
  let keys: string[]
  try {
    keys = Object.keys(options)
  } catch (err) {
    // A Proxy whose ownKeys trap throws: refused like any other bad options, with the cause.
    throw withCause(invalid(`${where}: options could not be read: ${errorText(err)}`), err)
  }
  for (const key of keys) if (!knownSet.has(key)) throw invalid(`${where}: unknown option ${JSON.stringify(key)}`)
}

function errorText(err: unknown): string {
  try {
    return err instanceof Error ? err.message : typeof err === 'string' ? err : 'a non-Error was thrown'
  } catch {
    return 'an unreadable error'
  }
}

function withCause(error: Error, cause: unknown): Error {
  if (error.cause === undefined) Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true })
  return error
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'symbol') return value.toString()
  return `${value as number | boolean | bigint | undefined}`
}
