import { join } from 'node:path'
import { jsonCodec } from '@quire/codec'
import { isFsError, type FileHandle, type FileSystem } from '@quire/vfs'
import { NdjsonCorruptError } from './errors.js'
import { archiveName, type LogFiles } from './files.js'
import { MAX_ROTATION_WAITS, READ_BATCH_RECORDS } from './limits.js'
import { readLines } from './line-scanner.js'
import type { LogEntry } from './log-entry.js'
import { checkHeader, readStartSeq } from './scan-file.js'
import { TransactionAssembler } from './transactions.js'

/** What a read goes through: the log's files as they are now (a rotation may change them meanwhile). */
export interface ReadSource {
  readonly fs: FileSystem
  readonly files: LogFiles
  /** Under `recovery: 'skip-corrupt'`: damaged lines are skipped, not thrown. */
  readonly skipCorrupt: boolean
  /** Archive numbers, ascending: the writer's live array, which a rotation pushes onto. */
  readonly archives: readonly number[]
  /** Offset just past the last acknowledged line of the active file, now. */
  activeEnd(): number
}

/** The range one read yields, fixed when it starts. */
export interface ReadRange {
  readonly fromSeq: number
  /** The `lastSeq` at the start of the read: later appends are not yielded. */
  readonly upTo: number
}

/**
 * Yields the acknowledged records of `source` in `seq` order, across archives and the active file.
 * `begin` runs on the first `next()` (its checks reject that call, as an async generator's would)
 * and fixes the range.
 */
export function readEntries<T extends object>(source: ReadSource, begin: () => ReadRange): AsyncIterableIterator<LogEntry<T>> {
  // A hand-rolled iterator over the chunks' arrays: one settled promise per record, without the
  // machinery of an async generator per record (it is a third of the cost of reading).
  const chunks = readChunks<T>(source, begin)
  let batch: LogEntry<T>[] = []
  let index = 0
  const iterator: AsyncIterableIterator<LogEntry<T>> = {
    next: (): Promise<IteratorResult<LogEntry<T>>> => {
      if (index < batch.length) return Promise.resolve({ value: batch[index++]!, done: false })
      return chunks.next().then((step) => {
        if (step.done === true) return { value: undefined, done: true }
        batch = step.value
        index = 0
        return iterator.next()
      })
    },
    return: async (): Promise<IteratorResult<LogEntry<T>>> => {
      batch = []
      await chunks.return()
      return { value: undefined, done: true }
    },
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}

/** The committed records from `fromSeq` to `upTo`, a chunk at a time. */
async function* readChunks<T extends object>(source: ReadSource, begin: () => ReadRange): AsyncGenerator<LogEntry<T>[], void, undefined> {
  const { fromSeq, upTo } = begin()
  if (fromSeq > upTo) return
  const { fs, files, archives } = source
  let index = 0
  let missing = 0
  for (;;) {
    while (index < archives.length) {
      const n = archives[index]!
      const file = join(files.dir, archiveName(files, n))
      index++
      // Skip an archive when the next file starts at or before fromSeq.
      const nextStart = await startSeqOf(source, index)
      if (nextStart !== undefined && nextStart <= fromSeq) continue
      const handle = await fs.open(file, 'r')
      try {
        const chunks = readFile<T>(handle, file, await handle.size(), source.skipCorrupt, fromSeq, upTo)
        let step
        while ((step = await chunks.next()).done !== true) yield step.value
        if (step.value) return
      } finally {
        await handle.close()
      }
    }
    // The active file. A rotation meanwhile makes it an archive: go round again.
    let handle: FileHandle
    try {
      handle = await fs.open(files.path, 'r')
    } catch (err) {
      // Missing only for a moment during a rotation; for good, it was removed behind our back.
      if (!isFsError(err, 'ENOENT') || ++missing > MAX_ROTATION_WAITS) throw err
      await new Promise((resolve) => setImmediate(resolve))
      continue
    }
    try {
      if (index !== archives.length) continue
      const chunks = readFile<T>(handle, files.path, source.activeEnd(), source.skipCorrupt, fromSeq, upTo)
      let step
      while ((step = await chunks.next()).done !== true) yield step.value
      if (step.value) return
      throw new NdjsonCorruptError(files.path, 0, `records up to seq ${upTo} were expected`)
    } finally {
      await handle.close()
    }
  }
}

/** `startSeq` of the file after archive index `index - 1` (an archive, or the active file). */
async function startSeqOf(source: ReadSource, index: number): Promise<number | undefined> {
  const { fs, files } = source
  const n = source.archives[index]
  const file = n === undefined ? files.path : join(files.dir, archiveName(files, n))
  let handle: FileHandle
  try {
    handle = await fs.open(file, 'r')
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return undefined
    throw err
  }
  try {
    return await readStartSeq(handle, file, await handle.size())
  } finally {
    await handle.close()
  }
}

/**
 * Yields the committed records of one file, a chunk's worth at a time (one await per chunk,
 * not per record); returns true once `upTo` was yielded.
 */
async function* readFile<T extends object>(
  handle: FileHandle,
  file: string,
  size: number,
  skip: boolean,
  fromSeq: number,
  upTo: number,
): AsyncGenerator<LogEntry<T>[], boolean, undefined> {
  const lines = readLines(handle, 0, size, 1)
  let assembler: TransactionAssembler<LogEntry<T> | undefined> | undefined
  let out: LogEntry<T>[] = []
  const commit = (item: LogEntry<T> | undefined): void => {
    if (item !== undefined) out.push(item)
  }
  try {
    for (;;) {
      const step = await lines.next()
      if (step.done === true) {
        if (assembler === undefined) checkHeader(file, undefined)
        assembler!.finish(step.value.end, step.value.partialBytes, step.value.partialLineNo)
        if (!skip && assembler!.first !== undefined) {
          throw new NdjsonCorruptError(file, assembler!.first.lineNo, assembler!.first.reason)
        }
        return assembler!.lastSeq >= upTo
      }
      const chunk = step.value
      for (let i = 0; i < chunk.count; i++) {
        if (assembler === undefined) {
          assembler = new TransactionAssembler<LogEntry<T> | undefined>(checkHeader(file, chunk.line(i)), chunk.next(i), skip, commit)
          continue
        }
        const parsed = chunk.parse(i)
        const lineNo = chunk.firstLineNo + i
        // Only the records in range are parsed; the others are still checked (checksum, layout,
        // sequence) by the assembler, so that damage anywhere in the file is seen.
        const item =
          parsed.kind === 'record' && parsed.seq >= fromSeq && parsed.seq <= upTo
            ? { seq: parsed.seq, record: parseRecord<T>(chunk.text(parsed.recStart, parsed.recEnd), file, lineNo) }
            : undefined
        assembler.line(lineNo, chunk.offset(i), chunk.next(i), parsed, item)
        if (!skip && assembler.first !== undefined) {
          throw new NdjsonCorruptError(file, assembler.first.lineNo, assembler.first.reason)
        }
        if (assembler.lastSeq >= upTo) break
        if (out.length >= READ_BATCH_RECORDS) {
          const batch = out
          out = []
          yield batch
        }
      }
      if (out.length > 0) {
        const batch = out
        out = []
        yield batch
      }
      if (assembler !== undefined && assembler.lastSeq >= upTo) return true
    }
  } finally {
    await lines.return({ end: 0, partialBytes: 0, partialLineNo: 0 })
  }
}

/** A record's JSON, parsed (Dates revived, checked as `jsonCodec` does). */
function parseRecord<T>(json: string, file: string, lineNo: number): T {
  try {
    return jsonCodec.parse(json) as T
  } catch (err) {
    throw new NdjsonCorruptError(file, lineNo, `record is not valid JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
}
