import { isFsError, safeJoin, TEMP_SUFFIX, type FileHandle, type FileSystem, type OpenFlags } from '@quire/vfs'
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import type { RkPaths } from './chain-scan.js'
import { encodeEventFile, type EventRecord } from './event-file.js'
import { leafDir, prefixDirs } from './ids.js'
import { encodePointer } from './pointer-file.js'

/** Waits for every promise to settle, then throws the first rejection, if any. */
async function allOrFirstError(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises)
  for (const r of results) if (r.status === 'rejected') throw r.reason
}

/** A link whose temp file is durable (its group acknowledged) and not yet renamed over its target. */
interface PendingLink {
  readonly temp: string
  readonly target: string
  /** The last event of the group it links (the id `rk/tail` may name once the rename is durable). */
  readonly last: string
}

/**
 * Appends groups of events to the chain on disk, the append order of FORMAT.md: each group costs
 * one round of concurrent syncs. The round makes durable the group's files and names, its link's
 * temp file (the old last event's file with `next` set, or `rk/head`) and that temp's name, and
 * the rename of the previous group's link temp over its target, done just before the round. A
 * group is acknowledged once its round succeeded: from then on recovery finishes its link from the
 * temp file. One group at a time (the caller serialises); a failure leaves the store for recovery
 * to sort out and the caller poisons it.
 */
export class ChainWriter {
  readonly #fs: FileSystem
  readonly #paths: RkPaths
  /** The last event's file content (the one the next group relinks). */
  #last: EventRecord | null
  /** Directories of the event tree known to be durable (created and parent-synced). */
  readonly #durableDirs: Set<string>
  /** The newest group's link, durable as a temp file only; the next round (or `finishLink`) renames it. */
  #pending: PendingLink | null = null
  /** The last event whose link (rename) is durable, or null: what `rk/tail` may name. */
  #linked: string | null

  constructor(fs: FileSystem, paths: RkPaths, last: EventRecord | null, durableDirs: Set<string>) {
    this.#fs = fs
    this.#paths = paths
    this.#last = last
    this.#durableDirs = durableDirs
    this.#linked = last?.id ?? null
  }

  /** The last event whose link is durable by its rename (not only by its temp file), or null. */
  get linked(): string | null {
    return this.#linked
  }

  /**
   * Writes and syncs one group of events, in order, in one round of syncs; on the way it renames
   * the previous group's link temp into place (made durable by the same round). Resolves with
   * their records once they are durable with their link's temp file: only then may memory show them.
   */
  async append(group: readonly { readonly id: string; readonly eventJson: string }[]): Promise<EventRecord[]> {
    const records: EventRecord[] = group.map((add, i) => ({
      id: add.id,
      next: group[i + 1]?.id ?? null,
      eventJson: add.eventJson,
    }))
    const first = records[0]!.id
    // The link: the old tail's file with `next` set (or `rk/head`), written to a temp file that
    // recovery renames into place if this process does not (FORMAT.md, "roll forward").
    const linkTarget = this.#last === null ? this.#paths.head : this.#eventPath(this.#last.id)
    const linkBytes = this.#last === null ? encodePointer(first) : encodeEventFile({ ...this.#last, next: first })
    const linkTemp = `${linkTarget}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`
    const previous = this.#pending

    const newDirs = await this.#createDirs(records.map((r) => r.id))
    const writes: { path: string; bytes: Uint8Array; flags: OpenFlags }[] = records.map((r) => ({
      path: this.#eventPath(r.id),
      bytes: encodeEventFile(r),
      flags: 'w',
    }))
    writes.push({ path: linkTemp, bytes: linkBytes, flags: 'wx' })
    const handles: FileHandle[] = []
    try {
      // allSettled, not all: every open must have finished before the finally closes the handles.
      await allOrFirstError([
        ...writes.map(async (w) => {
          const handle = await this.#fs.open(w.path, w.flags)
          handles.push(handle)
          await handle.write(w.bytes, 0)
        }),
        // The previous group is acknowledged (its temp is durable): its rename may go at any time.
        ...(previous === null ? [] : [this.#fs.rename(previous.temp, previous.target)]),
      ])
      const dirs = new Set(records.map((r) => leafDir(this.#paths.events, r.id)))
      for (const d of newDirs) dirs.add(dirname(d))
      dirs.add(dirname(linkTemp))
      if (previous !== null) dirs.add(dirname(previous.target))
      await allOrFirstError([...handles.map((h) => h.sync()), ...[...dirs].map((d) => this.#fs.syncDir(d))])
    } catch (err) {
      // Not acknowledged: without its link temp recovery takes the group for orphans (best effort,
      // not synced: if the unlink is lost too, the group is whole and recovery may keep it).
      await this.#fs.unlink(linkTemp).catch(() => undefined)
      throw err
    } finally {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)))
    }
    for (const d of newDirs) this.#durableDirs.add(d)
    if (previous !== null) this.#linked = previous.last
    this.#pending = { temp: linkTemp, target: linkTarget, last: records.at(-1)!.id }
    this.#last = records.at(-1)!
    return records
  }

  /**
   * Renames the newest group's link temp over its target and syncs that directory (what the next
   * group's round would do); nothing when no link waits. For `close` and `verify`.
   */
  async finishLink(): Promise<void> {
    const pending = this.#pending
    if (pending === null) return
    await this.#fs.rename(pending.temp, pending.target)
    await this.#fs.syncDir(dirname(pending.target))
    this.#pending = null
    this.#linked = pending.last
  }

  /**
   * Creates the prefix directories the group needs that are not known durable (top level first),
   * without syncing: the caller syncs their parents in the group's round. Returns the ones it made.
   */
  async #createDirs(ids: readonly string[]): Promise<string[]> {
    const created: string[] = []
    for (let level = 0; level < 3; level++) {
      const missing = new Set<string>()
      for (const id of ids) {
        const d = prefixDirs(this.#paths.events, id)[level]!
        if (!this.#durableDirs.has(d)) missing.add(d)
      }
      await Promise.all(
        [...missing].map(async (d) => {
          try {
            await this.#fs.mkdir(d)
          } catch (err) {
            // It may exist without being durable (left by a killed writer): its parent is synced anyway.
            if (!isFsError(err, 'EEXIST')) throw err
          }
        }),
      )
      created.push(...missing)
    }
    return created
  }

  #eventPath(id: string): string {
    return safeJoin(leafDir(this.#paths.events, id), id)
  }
}
