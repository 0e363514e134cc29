import { join } from 'node:path'
import { openStore } from '@quire/durable'
import {
  NO_LOCK,
  enforceOpenMode,
  isFsError,
  isTempFile,
  resolveOpenMode,
  storePathState,
  StoreNotFoundError,
  writeFileAtomic,
  type DirLock,
  type FileSystem,
  type OpenMode,
  type OpenModeOptions,
} from '@quire/vfs'
import { EventStoreCorruptError, InvalidArgumentError, UnsupportedError } from '../errors.js'

/** Name of the marker file that says which event-store layout a directory holds. */
export const FORMAT_FILE = 'FORMAT'
/**
 * Whether a directory entry is one a directory backend writes (its `FORMAT` marker or a temp file
 * of it, the `log` and `state` directories): a folder with none of them holds no event store.
 */
function isStoreDirEntry(name: string): boolean {
  return name === FORMAT_FILE || name === 'log' || name === 'state' || (name.startsWith(`${FORMAT_FILE}.`) && isTempFile(name))
}

/** The marker's magic. */
export const FORMAT_MAGIC = 'quire-event-store'
/** The layout version this code writes and reads (FORMAT.md). */
export const FORMAT_VERSION = 1

export type BackendKind = 'wal' | 'ndjson' | 'record-keeper'

/** The marker's bytes: one line of JSON, e.g. `{"format":"quire-event-store","backend":"wal","version":1}`. */
export function formatMarker(backend: BackendKind): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify({ format: FORMAT_MAGIC, backend, version: FORMAT_VERSION })}\n`)
}

/**
 * Makes sure `dir` holds an event store of this backend: writes the `FORMAT` marker (durably,
 * atomically) on first use, checks it afterwards, and removes a marker temp file a crash left.
 * Call with the store's lock held.
 *
 * With `readOnly` nothing is written: a missing marker is `NOT_FOUND` (no store of this layout).
 *
 * @throws `InvalidArgumentError` (the directory holds another backend's store),
 *   `UnsupportedError` (another layout version), `EventStoreCorruptError` (an unreadable marker).
 */
export async function checkFormat(fs: FileSystem, dir: string, backend: BackendKind, readOnly = false): Promise<void> {
  const path = join(dir, FORMAT_FILE)
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(path)
  } catch (err) {
    if (!isFsError(err, 'ENOENT')) throw err
    if (readOnly) throw new StoreNotFoundError(dir, `${backend} event store`, `it has no ${FORMAT_FILE} marker`)
    for (const name of await fs.readdir(dir)) {
      if (name.startsWith(`${FORMAT_FILE}.`) && isTempFile(name)) await fs.unlink(join(dir, name))
    }
    await writeFileAtomic(fs, path, formatMarker(backend))
    return
  }
  let marker: { format?: unknown; backend?: unknown; version?: unknown }
  try {
    marker = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as typeof marker
  } catch (err) {
    throw new EventStoreCorruptError(`${path} is not an event-store marker`, { cause: err })
  }
  if (typeof marker !== 'object' || marker === null || marker.format !== FORMAT_MAGIC) {
    throw new EventStoreCorruptError(`${path} is not an event-store marker`)
  }
  if (marker.backend !== backend) {
    throw new InvalidArgumentError(`${dir} holds a ${String(marker.backend)} event store, not a ${backend} one`)
  }
  if (marker.version !== FORMAT_VERSION) {
    throw new UnsupportedError(`${dir} holds event-store layout version ${String(marker.version)}; this code reads ${FORMAT_VERSION}`)
  }
}

/**
 * A lock held on behalf of several parts of one store (its commit log and its side store): it
 * is released when the last of them lets go, whichever order the driver closes them in.
 * Each part calls the function it was given once; later calls do nothing.
 */
export function shareLock(lock: DirLock, parts: number): (() => Promise<void>)[] {
  let left = parts
  return Array.from({ length: parts }, () => {
    let done = false
    return async () => {
      if (done) return
      done = true
      if (--left === 0) await lock.release()
    }
  })
}

/** @throws `InvalidArgumentError` unless `path` is a non-empty string without NUL. */
export function checkPath(path: unknown, name: string): asserts path is string {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new InvalidArgumentError(`${name} must be a non-empty path`)
  }
}

/** A backend's open modes (`createIfMissing`, `errorIfExists`, `readOnly`), checked. */
export function backendOpenMode(options: OpenModeOptions): OpenMode {
  return resolveOpenMode(options, (message) => new InvalidArgumentError(message))
}

/** The steps of a backend's open between its lock and its driver; see {@link openBackendDir}. */
export interface BackendOpenSteps<R, S> {
  /** Opens the log (the store's format marker is already checked): handles `discard` closes. */
  recover(lock: DirLock): Promise<R>
  /** Builds the backend's parts (side store, commit log) from what `recover` opened. */
  construct(recovered: R, lock: DirLock): Promise<S>
  /** Closes what `recover` opened when `construct` failed. */
  discard(recovered: R): Promise<void>
}

/**
 * A directory backend's open: applies the open mode before anything is created (`NOT_FOUND`,
 * `EXISTS`, `PathKindError` for a file in the way), then `openStore` of `@quire/durable` (the
 * directory made durable, the single-writer lock taken (`LOCKED` for a second opener), the
 * `FORMAT` marker written or checked, the log recovered, the parts built; on any failure what
 * this open created goes again and the lock is released). Read-only: no lock, nothing written.
 */
export async function openBackendDir<R, S>(
  fs: FileSystem,
  dir: string,
  mode: OpenMode,
  backend: BackendKind,
  role: string,
  steps: BackendOpenSteps<R, S>,
): Promise<S> {
  enforceOpenMode(mode, await storePathState(fs, dir, 'directory', role, isStoreDirEntry), dir, role)
  const recover = async (lock: DirLock): Promise<R> => {
    await checkFormat(fs, dir, backend, mode.readOnly)
    return steps.recover(lock)
  }
  if (!mode.readOnly) return openStore({ fs, dir, recover, construct: (r, lock) => steps.construct(r, lock), discard: (r) => steps.discard(r) })
  const recovered = await recover(NO_LOCK)
  try {
    return await steps.construct(recovered, NO_LOCK)
  } catch (err) {
    await steps.discard(recovered).catch(() => undefined)
    throw err
  }
}
