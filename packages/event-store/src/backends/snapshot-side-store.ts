import { StoreState } from '@quire/durable'
import { createHash } from 'node:crypto'
import { NodeFileSystem, storePathState, type FileSystem } from '@quire/vfs'
import { MAX_KEY_BYTES, SnapshotStore } from '@quire/snapshots'
import type { StoredSnapshot } from '../driver.js'
import { AppendFailedError, ClosedError, InvalidArgumentError, ReadOnlyError, StorePoisonedError } from '../errors.js'
import type { SideStore } from '../local/side-store.js'
import type { Checkpoint } from '../types.js'

/** Snapshots kept per key besides the newest: one damaged file still leaves a usable one. */
const KEEP = 1
/** Keys whose last generation is remembered (least recently used are forgotten, then re-read). */
const CACHED_GENERATIONS = 4096

const utf8 = new TextEncoder()

/**
 * The embedded backends' {@link SideStore}: one `@quire/snapshots` store (in `<store>/state/`)
 * holding durable-subscription checkpoints and snapshots of aggregates and projections.
 *
 * - Keys: a checkpoint of subscription `id` is the snapshot key `c:<id>`, a snapshot of key `k`
 *   is `s:<k>`; when that is over the 120 UTF-8 bytes `@quire/snapshots` allows (or not
 *   well-formed Unicode), it is `c#` / `s#` + the SHA-256 (hex) of the id's UTF-16LE code units.
 *   The full id or key is stored inside and checked on load, so a hashed key can never hand out
 *   another's data.
 * - Last write wins: `@quire/snapshots` returns the snapshot with the highest *position*, but a
 *   checkpoint may be reset backwards and a projection rebuilt from 0. So the snapshot position
 *   is a per-key generation (one more than the newest on disk), and the checkpoint's position or
 *   the snapshot's position lives in the state.
 * - `storeCheckpoint` and `saveSnapshot` resolve once the file is durable (atomic replace,
 *   `fdatasync`, directory `fsync`). A damaged or unreadable snapshot loads as `undefined` (it is
 *   a cache); a damaged newest checkpoint falls back to the one before it (at-least-once).
 */
export class SnapshotSideStore implements SideStore {
  /** Absent only when read-only and the store never saved anything (no state directory). */
  readonly #snaps: SnapshotStore | undefined
  readonly #generations = new Map<string, number>()
  readonly #queues = new Map<string, Promise<unknown>>()
  /** Close once (writes in flight first), `CLOSED` from its first call on. */
  readonly #state: StoreState

  private constructor(snaps: SnapshotStore | undefined, onClose: () => Promise<void>) {
    this.#snaps = snaps
    this.#state = new StoreState({
      onClose: async () => {
        try {
          await Promise.all(this.#queues.values())
          await snaps?.close()
        } finally {
          await onClose()
        }
      },
    })
  }

  /**
   * Opens (creating it if needed) the side store in `dir`; `onClose` runs after it closed.
   *
   * @throws `LOCKED` when another opener holds `dir`.
   */
  static async open(
    dir: string,
    options: { readonly fs?: FileSystem; readonly onClose?: () => Promise<void>; readonly readOnly?: boolean } = {},
  ): Promise<SnapshotSideStore> {
    const fs = options.fs === undefined ? {} : { fs: options.fs }
    if (options.readOnly === true) {
      // Read-only: nothing written; a store that never saved a checkpoint has nothing to read.
      const present = (await storePathState(options.fs ?? new NodeFileSystem(), dir, 'directory', "the event store's state directory")) === 'present'
      const snaps = present ? await SnapshotStore.open(dir, { keep: KEEP, readOnly: true, ...fs }) : undefined
      return new SnapshotSideStore(snaps, options.onClose ?? (() => Promise.resolve()))
    }
    const snaps = await SnapshotStore.open(dir, { keep: KEEP, ...fs })
    return new SnapshotSideStore(snaps, options.onClose ?? (() => Promise.resolve()))
  }

  /**
   * The subscription's checkpoint, `undefined` when none was stored.
   *
   * @throws `ClosedError`; the file system's error when it cannot be read (never a silent
   *   restart from elsewhere).
   */
  async loadCheckpoint(subscriptionId: string): Promise<Checkpoint | undefined> {
    const key = storeKey('c', subscriptionId)
    const found = await this.#load(key)
    if (found === undefined) return undefined
    const s = found.state as { id?: unknown; position?: unknown; eventId?: unknown } | null
    if (s?.id !== subscriptionId || typeof s.position !== 'bigint' || typeof s.eventId !== 'string') return undefined
    return { position: s.position, eventId: s.eventId }
  }

  /**
   * Stores (or with `undefined` deletes) the checkpoint; resolves once durable.
   *
   * @throws `StorePoisonedError` (an earlier sync of the side store failed), `AppendFailedError`
   *   (this write failed; the previous checkpoint or this one is stored), `ClosedError`.
   */
  storeCheckpoint(subscriptionId: string, checkpoint: Checkpoint | undefined): Promise<void> {
    const key = storeKey('c', subscriptionId)
    if (checkpoint === undefined) return this.#delete(key)
    return this.#save(key, { id: subscriptionId, position: checkpoint.position, eventId: checkpoint.eventId }, 1)
  }

  /** The newest snapshot saved under `key`; `undefined` when absent, damaged or unreadable. */
  async loadSnapshot(key: string): Promise<StoredSnapshot | undefined> {
    let found
    try {
      found = await this.#load(storeKey('s', key))
    } catch (err) {
      if (err instanceof ClosedError) throw err
      return undefined
    }
    if (found === undefined) return undefined
    const s = found.state as { key?: unknown; position?: unknown; state?: unknown } | null
    if (s?.key !== key || typeof s.position !== 'bigint' || !('state' in s)) return undefined
    return { position: s.position, schemaVersion: found.schemaVersion, state: s.state }
  }

  /** Saves a snapshot under `key`; resolves once durable. Errors as {@link storeCheckpoint}. */
  saveSnapshot(key: string, snapshot: StoredSnapshot): Promise<void> {
    return this.#save(storeKey('s', key), { key, position: snapshot.position, state: snapshot.state }, snapshot.schemaVersion)
  }

  async #load(key: string): Promise<{ position: number; schemaVersion: number; state: unknown } | undefined> {
    this.#state.assertOpen()
    try {
      return await this.#snaps?.load(key)
    } catch (err) {
      // An I/O error reading it passes through as it is (with its errno): no write failed.
      if ((err as { code?: unknown }).code === 'CLOSED') throw new ClosedError()
      throw err
    }
  }

  #save(key: string, state: unknown, schemaVersion: number): Promise<void> {
    if (this.#state.closed) return Promise.reject(new ClosedError())
    const snaps = this.#snaps
    if (snaps === undefined) return Promise.reject(new ReadOnlyError('save'))
    return this.#serial(key, async () => {
      const generation = (await this.#generation(key)) + 1
      try {
        await snaps.save(key, { position: generation, state, schemaVersion })
      } catch (err) {
        // The save may or may not be on disk: read the generation again next time.
        this.#generations.delete(key)
        throw mapError(err, 'save')
      }
      this.#remember(key, generation)
    })
  }

  #delete(key: string): Promise<void> {
    if (this.#state.closed) return Promise.reject(new ClosedError())
    const snaps = this.#snaps
    if (snaps === undefined) return Promise.reject(new ReadOnlyError('delete'))
    return this.#serial(key, async () => {
      try {
        await snaps.delete(key)
      } catch (err) {
        this.#generations.delete(key)
        throw mapError(err, 'delete')
      }
      this.#remember(key, 0)
    })
  }

  /** The newest generation of `key` on disk (0 when none). */
  async #generation(key: string): Promise<number> {
    const cached = this.#generations.get(key)
    if (cached !== undefined) return cached
    let found
    try {
      found = await this.#snaps?.load(key)
    } catch (err) {
      throw mapError(err, 'load')
    }
    return found?.position ?? 0
  }

  #remember(key: string, generation: number): void {
    this.#generations.delete(key)
    this.#generations.set(key, generation)
    if (this.#generations.size > CACHED_GENERATIONS) {
      const oldest = this.#generations.keys().next()
      if (oldest.done !== true) this.#generations.delete(oldest.value)
    }
  }

  /** Runs the writes of one key one at a time, in call order, so generations follow call order. */
  #serial(key: string, work: () => Promise<void>): Promise<void> {
    const run = (this.#queues.get(key) ?? Promise.resolve()).then(work)
    const tail = run.catch(() => undefined)
    this.#queues.set(key, tail)
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key)
    })
    return run
  }

  /** Waits for writes in flight, closes the snapshot store, then runs `onClose`. Idempotent. */
  close(): Promise<void> {
    return this.#state.close()
  }
}

/**
 * The `@quire/snapshots` key for `kind` (`c` checkpoint, `s` snapshot) and `name`: `kind:name`
 * when it fits the 120-byte limit, else `kind#` + a SHA-256 of the name.
 */
export function storeKey(kind: 'c' | 's', name: string): string {
  const plain = `${kind}:${name}`
  if (isWellFormed(name) && utf8.encode(plain).byteLength <= MAX_KEY_BYTES) return plain
  return `${kind}#${createHash('sha256').update(Buffer.from(name, 'utf16le')).digest('hex')}`
}

const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed()

function mapError(err: unknown, what: string): Error {
  const code = (err as { code?: unknown }).code
  if (code === 'CLOSED') return new ClosedError()
  if (code === 'READ_ONLY') return err instanceof ReadOnlyError ? err : new ReadOnlyError(what, 'the side store refused it', { cause: err })
  if (code === 'POISONED') return new StorePoisonedError(err)
  if (code === 'INVALID_ARGUMENT') return new InvalidArgumentError(`the side store refused the ${what}: ${(err as Error).message}`, { cause: err })
  const errno = typeof code === 'string' ? ` (${code})` : ''
  return new AppendFailedError(`the side store's ${what} failed${errno}`, { cause: err })
}
