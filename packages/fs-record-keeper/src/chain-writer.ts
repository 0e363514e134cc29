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

/**
 * Appends groups of events to the chain on disk, steps 1 and 2 of the append order in FORMAT.md:
 * the group's files and the link's temp file durable in one round of syncs, then the link by an
 * atomic rename over the old last event's file (or `rk/head`), made durable. One group at a time
 * (the caller serialises); a failure leaves nothing linked and the caller poisons the store.
 */
export class ChainWriter {
  readonly #fs: FileSystem
  readonly #paths: RkPaths
  /** The last event's file content (the one the next group relinks). */
  #last: EventRecord | null
  /** Directories of the event tree known to be durable (created and parent-synced). */
  readonly #durableDirs: Set<string>

  constructor(fs: FileSystem, paths: RkPaths, last: EventRecord | null, durableDirs: Set<string>) {
    this.#fs = fs
    this.#paths = paths
    this.#last = last
    this.#durableDirs = durableDirs
  }

  /**
   * Writes, syncs and links one group of events, in order. Resolves with their records once
   * they are durable and linked: only then may memory show them.
   */
  async append(group: readonly { readonly id: string; readonly eventJson: string }[]): Promise<EventRecord[]> {
    const records: EventRecord[] = group.map((add, i) => ({
      id: add.id,
      next: group[i + 1]?.id ?? null,
      eventJson: add.eventJson,
    }))
    const first = records[0]!.id
    // The link: the old tail's file with `next` set (or `rk/head`), first written to a temp file.
    const linkTarget = this.#last === null ? this.#paths.head : this.#eventPath(this.#last.id)
    const linkBytes = this.#last === null ? encodePointer(first) : encodeEventFile({ ...this.#last, next: first })
    const linkTemp = `${linkTarget}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`

    // Step 1: the group's files, their names (and new directories), and the link's temp file, all
    // durable, in one round of concurrent syncs. Nothing points at any of them yet.
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
      await allOrFirstError(
        writes.map(async (w) => {
          const handle = await this.#fs.open(w.path, w.flags)
          handles.push(handle)
          await handle.write(w.bytes, 0)
        }),
      )
      const dirs = new Set(records.map((r) => leafDir(this.#paths.events, r.id)))
      for (const d of newDirs) dirs.add(dirname(d))
      await allOrFirstError([...handles.map((h) => h.sync()), ...[...dirs].map((d) => this.#fs.syncDir(d))])
    } finally {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)))
    }
    for (const d of newDirs) this.#durableDirs.add(d)

    // Step 2: the link, by atomic rename over the old tail's file (or head), made durable.
    try {
      await this.#fs.rename(linkTemp, linkTarget)
    } catch (err) {
      await this.#fs.unlink(linkTemp).catch(() => undefined)
      throw err
    }
    await this.#fs.syncDir(dirname(linkTarget))
    this.#last = records.at(-1)!
    return records
  }

  /**
   * Creates the prefix directories the group needs that are not known durable (top level first),
   * without syncing: the caller syncs their parents in step 1's round. Returns the ones it made.
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
