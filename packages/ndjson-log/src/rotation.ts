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
 * The second half of a rotation (see FORMAT.md, "Files"), once the active file is sealed (no free
 * space, everything durable: `DurableAppendFile.roll` does that first, since only the last file of
 * a log may ever be torn) and its handle closed: renames it to archive `archives.at(-1) + 1`
 * (pushed onto `archives` once renamed) and writes a fresh active file whose header says
 * `nextSeq`, durably (`writeFileAtomic`), open for writing.
 *
 * A failure leaves the log somewhere recovery repairs (a missing active file is made again from
 * the last archive); the caller poisons.
 */
export async function startNextFile(fs: FileSystem, files: LogFiles, archives: number[], nextSeq: number): Promise<RotatedFile> {
  const n = (archives[archives.length - 1] ?? 0) + 1
  await fs.rename(files.path, join(files.dir, archiveName(files, n)))
  archives.push(n)
  const header = formatHeader(nextSeq)
  await writeFileAtomic(fs, files.path, header)
  return { handle: await fs.open(files.path, 'r+'), headerEnd: header.length }
}
