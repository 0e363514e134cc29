import { open, readdir, readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { CliError } from './cli-error.js'

/**
 * Every kind of store the command line knows. The event store's kinds are named by backend; a
 * `record-keeper` directory holds a `RecordKeeper` (`rk/`), a `Depot` (`depot/`) or both.
 */
export const STORE_KINDS = [
  'wal',
  'ndjson-log',
  'snapshots',
  'record-keeper',
  'mvcc',
  'event-store-wal',
  'event-store-ndjson',
  'event-store-record-keeper',
  'event-store-postgres',
] as const

/** One of {@link STORE_KINDS}. */
export type StoreKind = (typeof STORE_KINDS)[number]

/** What {@link detectStore} found at a path. */
export interface DetectedStore {
  /** Which kind of store it is. */
  readonly kind: StoreKind
  /** The path as given (a directory, a file, or a PostgreSQL connection string). */
  readonly path: string
  /** The format version its marker or first file carries; `undefined` when it has none yet (empty). */
  readonly formatVersion: number | undefined
  /** The marker that told the kind: a magic, a marker file's content, a layout. */
  readonly evidence: string
}

const POSTGRES_URL = /^postgres(ql)?:\/\//
const SEGMENT_NAME = /^\d{20}\.wal$/
const KEY_DIR = /^k-([0-9a-f]{2})+$/
const NDJSON_MAGIC = '{"format":"quire-ndjson-log","version":'

/** True when `path` is a PostgreSQL connection string rather than a path. */
export const isPostgresUrl = (path: string): boolean => POSTGRES_URL.test(path)

async function head(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buf = Buffer.alloc(bytes)
    const { bytesRead } = await handle.read(buf, 0, bytes, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

async function kindOf(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path)
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined
  } catch {
    return undefined
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The `version` of a binary header whose magic is 8 bytes and whose version is a u16 at byte 8. */
async function binaryVersion(path: string, magic: string): Promise<number | undefined> {
  const buf = await head(path, 10).catch(() => Buffer.alloc(0))
  if (buf.length < 10 || buf.subarray(0, 8).toString('latin1') !== magic) return undefined
  return buf.readUInt16LE(8)
}

/** Format version of a WAL directory, from its first segment (or floor file). */
export async function walVersion(dir: string): Promise<number | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).sort()
  const segment = names.find((n) => SEGMENT_NAME.test(n))
  if (segment !== undefined) return binaryVersion(join(dir, segment), 'QUIREWAL')
  if (names.includes('wal.floor')) return binaryVersion(join(dir, 'wal.floor'), 'QWALFLOR')
  return undefined
}

async function ndjsonVersion(file: string): Promise<number | undefined> {
  const text = (await head(file, 256).catch(() => Buffer.alloc(0))).toString('utf8')
  if (!text.startsWith(NDJSON_MAGIC)) return undefined
  const match = /^\d+/.exec(text.slice(NDJSON_MAGIC.length))
  return match === null ? undefined : Number(match[0])
}

async function eventStoreMarker(file: string): Promise<{ backend: string; version: number } | undefined> {
  const text = await readText(file)
  if (text === undefined) return undefined
  try {
    const marker = JSON.parse(text) as { format?: unknown; backend?: unknown; version?: unknown }
    if (marker.format !== 'quire-event-store' || typeof marker.backend !== 'string' || typeof marker.version !== 'number') return undefined
    return { backend: marker.backend, version: marker.version }
  } catch {
    return undefined
  }
}

async function firstSnapshotVersion(dir: string): Promise<number | undefined | 'none'> {
  const names = await readdir(dir).catch(() => [] as string[])
  let sawKey = false
  for (const name of names) {
    if (!KEY_DIR.test(name)) continue
    sawKey = true
    const files = (await readdir(join(dir, name)).catch(() => [] as string[])).filter((f) => f.endsWith('.snap')).sort()
    const last = files.at(-1)
    if (last !== undefined) return binaryVersion(join(dir, name, last), 'QUIRSNAP')
  }
  return sawKey ? undefined : 'none'
}

function versionIn(text: string | undefined, magic: string): number | undefined {
  if (text === undefined || !text.startsWith(magic + ' ')) return undefined
  const n = Number(text.slice(magic.length + 1).trim())
  return Number.isSafeInteger(n) ? n : undefined
}

/**
 * Tells which kind of Quire store is at `path`, from its files' magic and markers (read-only,
 * nothing is opened for writing): a PostgreSQL URL is an `event-store-postgres`; a file whose
 * first line is an NDJSON log header is an `ndjson-log` (an `event-store-ndjson` when
 * `<file>.state/FORMAT` says so); a directory with an event store `FORMAT` marker, `rk/FORMAT` or
 * `depot/FORMAT`, `wal/` + `snapshots/`, WAL segments, or snapshot key directories is the
 * matching kind.
 *
 * @throws `CliError` `NOT_FOUND` when nothing is at `path`, `NOT_A_STORE` when nothing there is
 *   recognised.
 */
export async function detectStore(path: string): Promise<DetectedStore> {
  if (isPostgresUrl(path)) return { kind: 'event-store-postgres', path, formatVersion: undefined, evidence: 'a PostgreSQL connection string' }
  const what = await kindOf(path)
  if (what === undefined) throw await nothingAt(path)
  if (what === 'file') {
    const version = await ndjsonVersion(path)
    if (version === undefined) {
      if (SEGMENT_NAME.test(path.split('/').at(-1) ?? '')) throw new CliError('NOT_A_STORE', `${path} is one WAL segment: give its directory`)
      throw new CliError('NOT_A_STORE', `${path} is not a Quire NDJSON log (its first line is not a quire-ndjson-log header)`)
    }
    const marker = await eventStoreMarker(join(`${path}.state`, 'FORMAT'))
    if (marker?.backend === 'ndjson') return { kind: 'event-store-ndjson', path, formatVersion: marker.version, evidence: `${path}.state/FORMAT (backend ndjson)` }
    return { kind: 'ndjson-log', path, formatVersion: version, evidence: 'a quire-ndjson-log header line' }
  }
  const marker = await eventStoreMarker(join(path, 'FORMAT'))
  if (marker !== undefined) {
    const kind = (`event-store-${marker.backend}` as StoreKind)
    if (!(STORE_KINDS as readonly string[]).includes(kind) || kind === 'event-store-postgres') {
      throw new CliError('NOT_A_STORE', `${path}/FORMAT names an event-store backend this release does not know: ${marker.backend}`)
    }
    return { kind, path, formatVersion: marker.version, evidence: `FORMAT (backend ${marker.backend})` }
  }
  const rk = await readText(join(path, 'rk', 'FORMAT'))
  const depot = await readText(join(path, 'depot', 'FORMAT'))
  if (rk !== undefined || depot !== undefined) {
    const version = versionIn(rk, 'quire-fs-record-keeper') ?? versionIn(depot, 'quire-fs-depot')
    return { kind: 'record-keeper', path, formatVersion: version, evidence: [rk !== undefined ? 'rk/FORMAT' : '', depot !== undefined ? 'depot/FORMAT' : ''].filter(Boolean).join(' and ') }
  }
  if ((await kindOf(join(path, 'wal'))) === 'dir' && (await kindOf(join(path, 'snapshots'))) === 'dir') {
    return { kind: 'mvcc', path, formatVersion: await walVersion(join(path, 'wal')), evidence: 'wal/ and snapshots/ directories' }
  }
  const names = await readdir(path)
  if (names.some((n) => SEGMENT_NAME.test(n) || n === 'wal.floor')) {
    return { kind: 'wal', path, formatVersion: await walVersion(path), evidence: 'QUIREWAL segments' }
  }
  const snap = await firstSnapshotVersion(path)
  if (snap !== 'none') return { kind: 'snapshots', path, formatVersion: snap, evidence: 'k-<hex> key directories' }
  throw new CliError('NOT_A_STORE', `no Quire store recognised in ${path} (no WAL segment, FORMAT marker, rk/ or depot/, wal/ + snapshots/, or snapshot key directory); pass --kind to say which it is`)
}

/** Why nothing is at `path`: missing (`NOT_FOUND`), or a parent is a file (`ENOTDIR`, naming it). */
async function nothingAt(path: string): Promise<CliError> {
  for (let parent = dirname(path); parent !== dirname(parent); parent = dirname(parent)) {
    const what = await kindOf(parent)
    if (what === 'file') return new CliError('ENOTDIR', `nothing can be at ${path}: a parent, ${parent}, is a file, not a directory`)
    if (what === 'dir') break
  }
  return new CliError('NOT_FOUND', `nothing at ${path}`)
}

/**
 * Whether the markers of `kind` are at `path` (what detection would look for), so that `--kind`
 * can override a guess but never make a command read a store of another kind as clean. An empty
 * directory passes for a snapshot store (an event store's state before its first checkpoint).
 */
async function hasMarkersOf(kind: StoreKind, path: string): Promise<boolean> {
  if (kind === 'event-store-postgres') return isPostgresUrl(path)
  if (isPostgresUrl(path)) return false
  const what = await kindOf(path)
  switch (kind) {
    case 'ndjson-log':
      return what === 'file' && (await ndjsonVersion(path)) !== undefined
    case 'event-store-ndjson':
      return what === 'file' && (await ndjsonVersion(path)) !== undefined && (await eventStoreMarker(join(`${path}.state`, 'FORMAT')))?.backend === 'ndjson'
    case 'event-store-wal':
    case 'event-store-record-keeper':
      return what === 'dir' && `event-store-${(await eventStoreMarker(join(path, 'FORMAT')))?.backend ?? ''}` === kind
    case 'record-keeper':
      return what === 'dir' && ((await readText(join(path, 'rk', 'FORMAT'))) !== undefined || (await readText(join(path, 'depot', 'FORMAT'))) !== undefined)
    case 'mvcc':
      return what === 'dir' && (await kindOf(join(path, 'wal'))) === 'dir' && (await kindOf(join(path, 'snapshots'))) === 'dir'
    case 'wal':
      return what === 'dir' && (await readdir(path)).some((n) => SEGMENT_NAME.test(n) || n === 'wal.floor')
    case 'snapshots':
      return what === 'dir' && ((await readdir(path)).length === 0 || (await firstSnapshotVersion(path)) !== 'none')
  }
}

/**
 * The store at `path`, of `kind` when the user named it (no guessing, but its markers must be
 * there), else detected.
 *
 * @throws `CliError` `KIND_MISMATCH` when `kind`'s markers are not at `path` (naming what
 *   detection finds there instead).
 */
export async function resolveStore(given: string, kind: string | undefined): Promise<DetectedStore> {
  // Every path the commands print is absolute, whatever form it was given in.
  const path = isPostgresUrl(given) ? given : resolve(given)
  if (kind === undefined) return detectStore(path)
  if (!(STORE_KINDS as readonly string[]).includes(kind)) throw new CliError('INVALID_ARGUMENT', `unknown --kind ${kind}; one of ${STORE_KINDS.join(', ')}`)
  if (!isPostgresUrl(path) && (await kindOf(path)) === undefined) throw await nothingAt(path)
  if (!(await hasMarkersOf(kind as StoreKind, path))) {
    const found = await detectStore(path).then(
      (d) => `it looks like a ${d.kind} (${d.evidence})`,
      () => 'no Quire store is recognised there',
    )
    throw new CliError('KIND_MISMATCH', `--kind ${kind}: ${path} does not have the files of a ${kind} store; ${found}`)
  }
  return { kind: kind as StoreKind, path, formatVersion: undefined, evidence: '--kind' }
}
