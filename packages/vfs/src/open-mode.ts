import { StoreExistsError, StoreNotFoundError } from './errors.js'
import { isFsError, type FileSystem } from './file-system.js'
import { expectPathKind } from './path-kind.js'

/**
 * How a store's `open` treats what is, or is not, at its path. The names and defaults are
 * LevelDB's (`createIfMissing`, `errorIfExists`), which `classic-level` and the Level ecosystem
 * kept; `readOnly` is RocksDB's `OpenForReadOnly`.
 */
export interface OpenModeOptions {
  /**
   * Create the store when nothing is at its path (or an empty directory). Default `true`. With
   * `false`, opening a path that holds no store fails with `NOT_FOUND` and creates nothing, so a
   * typo in a path is an error instead of a fresh, empty store.
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

/** What is at a store's path before `open` changes anything. */
export type StorePathState = 'missing' | 'empty' | 'present'

/**
 * Looks at a store's path without changing anything: `'missing'` (nothing there), `'empty'` (an
 * empty directory, or an empty file for a file store), `'present'`. Throws `PathKindError` when
 * the path (or one of its parents) is the wrong kind of thing.
 */
export async function storePathState(fs: FileSystem, path: string, expected: 'directory' | 'file', role: string): Promise<StorePathState> {
  if (!(await expectPathKind(fs, path, expected, role))) return 'missing'
  try {
    if (expected === 'directory') return (await fs.readdir(path)).length === 0 ? 'empty' : 'present'
    return (await fs.stat(path)).size === 0 ? 'empty' : 'present'
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return 'missing' // removed meanwhile
    throw err
  }
}

/**
 * Applies the open mode to what is at the path: `NOT_FOUND` ({@link StoreNotFoundError}) when no
 * store is there and the mode may not create one, `EXISTS` ({@link StoreExistsError}) when one is
 * there and `errorIfExists` is set. Call it before creating anything.
 */
export function enforceOpenMode(mode: OpenMode, state: StorePathState, path: string, role: string): void {
  if (state === 'present') {
    if (mode.errorIfExists) throw new StoreExistsError(path, role)
    return
  }
  if (mode.readOnly) throw new StoreNotFoundError(path, role, `${state === 'missing' ? 'nothing is there' : 'it is empty'}, and readOnly: true creates nothing`)
  if (!mode.createIfMissing) throw new StoreNotFoundError(path, role, `${state === 'missing' ? 'nothing is there' : 'it is empty'}, and createIfMissing is false`)
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
