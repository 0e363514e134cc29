import { join } from 'node:path'
import { writeFileAtomic, type FileHandle, type FileSystem } from '@quire/vfs'
import { archiveName, type LogFiles } from './files.js'
import { formatHeader } from './format.js'

/** The active file a rotation started. */
export interface RotatedFile {
  readonly handle: FileHandle
  /** Its header's length: where its data starts. */
  readonly headerEnd: number
}

/**
 * Seals the active file as the next archive and starts a new one (see FORMAT.md, "Files"):
 * cuts its free space (`end` is the end of its data, `fileEnd` its length), syncs it, closes
 * `handle`, renames it to archive `archives.at(-1) + 1` (pushed onto `archives` once renamed) and
 * writes a fresh active file whose header says `nextSeq`, durably (`writeFileAtomic`).
 *
 * Only the last file of a log may ever be torn: the archive is durable before the new file exists.
 * A failure leaves the log somewhere recovery repairs (a missing active file is made again from
 * the last archive); the caller poisons.
 */
export async function rotateActiveFile(
  fs: FileSystem,
  files: LogFiles,
  archives: number[],
  handle: FileHandle,
  end: number,
  fileEnd: number,
  nextSeq: number,
): Promise<RotatedFile> {
  // Sealed: no free space, everything durable, before it gets its archive name.
  if (fileEnd > end) await handle.truncate(end)
  await handle.sync()
  await handle.close()
  const n = (archives[archives.length - 1] ?? 0) + 1
  await fs.rename(files.path, join(files.dir, archiveName(files, n)))
  archives.push(n)
  const header = formatHeader(nextSeq)
  await writeFileAtomic(fs, files.path, header)
  return { handle: await fs.open(files.path, 'r+'), headerEnd: header.length }
}
