import { join } from 'node:path'
import { quarantineBytes, readFully, StoreNotFoundError, writeFileAtomic, type FileHandle, type FileSystem } from '@quire/vfs'
import { NdjsonCorruptError } from './errors.js'
import { archiveName, archiveNumber, isOwnTempFile, type LogFiles } from './files.js'
import { refuseForeignFile } from './foreign-file.js'
import { formatHeader } from './format.js'
import type { DamagedLine, RecoveryReport } from './recovery-report.js'
import type { RecoveryMode } from '@quire/durable'
import { scanFile } from './scan-file.js'

export type { DamagedLine, RecoveryReport } from './recovery-report.js'

export interface RecoveredLog {
  readonly handle: FileHandle
  /** Offset just past the last acknowledged line: appends go there. */
  readonly end: number
  /** `startSeq` of the active file. */
  readonly startSeq: number
  readonly lastSeq: number
  /** Archive numbers, ascending. */
  readonly archives: number[]
  readonly report: RecoveryReport
}

/** Lists this log's archives and (unless `readOnly`) removes temp files an interrupted `writeFileAtomic` left. */
async function listDirectory(fs: FileSystem, files: LogFiles, readOnly: boolean): Promise<number[]> {
  const archives: number[] = []
  for (const name of await fs.readdir(files.dir)) {
    const n = archiveNumber(files, name)
    if (n !== undefined) archives.push(n)
    else if (isOwnTempFile(files, name) && !readOnly) await fs.unlink(join(files.dir, name)).catch(() => undefined)
  }
  return archives.sort((a, b) => a - b)
}

/** The last committed `seq` of a sealed archive. */
async function archiveLastSeq(fs: FileSystem, file: string, mode: RecoveryMode): Promise<number> {
  const handle = await fs.open(file, 'r')
  try {
    const scan = await scanFile(handle, file, await handle.size(), mode === 'skip-corrupt')
    const problem = scan.assembler.first
    if (problem !== undefined && mode !== 'skip-corrupt') throw new NdjsonCorruptError(file, problem.lineNo, problem.reason)
    return scan.assembler.lastSeq
  } finally {
    await handle.close()
  }
}

/**
 * Opens the active file and brings it to a clean state (see FORMAT.md, "recovery"): creates it
 * when missing, cuts a torn tail durably, and handles damage in the middle as `mode` says.
 * Idempotent: running it again on its own result changes nothing.
 *
 * With `readOnly` (`fs` refuses every change) nothing is written: a torn tail, free space and
 * what `'point-in-time'` would cut are left out of `end` in memory only, the report says what a
 * writable open would do, and the handle is opened for reading. A missing active file (a
 * rotation a crash interrupted) is `NOT_FOUND` then: only a writable open can repair it.
 *
 * @throws `NotNdjsonLogError` when the active file is not a log of this library at all.
 */
export async function recoverLog(fs: FileSystem, files: LogFiles, mode: RecoveryMode, readOnly = false): Promise<RecoveredLog> {
  const archives = await listDirectory(fs, files, readOnly)
  let createdActiveFile = false
  let size = (await fs.exists(files.path)) ? (await fs.stat(files.path)).size : -1
  if (size <= 0 && readOnly) {
    throw new StoreNotFoundError(files.path, 'NDJSON log file', 'the active file is missing or empty (a rotation a crash interrupted?); a writable open repairs it')
  }
  if (size <= 0) {
    // Missing (new log, or a crash between the rename and the new file of a rotation) or empty
    // (created by someone else): start a file whose first seq follows the last archive's.
    const last = archives[archives.length - 1]
    const startSeq = last === undefined ? 1 : (await archiveLastSeq(fs, join(files.dir, archiveName(files, last)), mode)) + 1
    await writeFileAtomic(fs, files.path, formatHeader(startSeq))
    createdActiveFile = true
  }
  const handle = await fs.open(files.path, readOnly ? 'r' : 'r+')
  try {
    size = await handle.size()
    await refuseForeignFile(handle, files.path, size)
    const skip = mode === 'skip-corrupt'
    const scan = await scanFile(handle, files.path, size, skip)
    const { assembler } = scan
    const corrupt = assembler.corrupt
    let cut: number | undefined
    let cutAt: DamagedLine | undefined
    if (corrupt !== undefined && mode === 'strict') {
      throw new NdjsonCorruptError(files.path, corrupt.lineNo, corrupt.reason)
    }
    if (corrupt !== undefined && mode === 'point-in-time') {
      cut = corrupt.cutOffset
      cutAt = { file: files.path, line: corrupt.lineNo, reason: corrupt.reason }
    } else if (assembler.torn !== undefined) {
      cut = assembler.torn.cutOffset
      assembler.forgetSkippedFrom(assembler.torn.cutLineNo)
    }
    const released = corrupt === undefined && assembler.torn?.pad === true ? assembler.torn.next - assembler.torn.cutOffset : 0
    const quarantined: string[] = []
    if (cut !== undefined && cut + released < size && !readOnly) {
      // Never destroy bytes unseen: keep what is cut (the free-space line excepted), durably, first.
      const bytes = await readFully(handle, cut + released, size - cut - released)
      const name = await quarantineBytes(fs, files.dir, files.base, cut + released, bytes)
      if (name !== undefined) quarantined.push(join(files.dir, name))
    }
    if (cut !== undefined && cut < size && !readOnly) await handle.truncate(cut)
    // Always sync, and sync the directory: after a SIGKILL the OS may still hold writes the dead
    // process never synced (even the file's name). Recovery just read them as the log; make them
    // durable before anything new is built on them, or a power loss could take both away.
    if (!readOnly) {
      await handle.sync()
      await fs.syncDir(files.dir)
    }
    const end = cut ?? size
    return {
      handle,
      end,
      startSeq: scan.startSeq,
      lastSeq: assembler.lastSeq,
      archives,
      report: {
        truncatedBytes: size - end - released,
        releasedBytes: released,
        cutAt,
        skipped: assembler.skipped.map((s) => ({ file: files.path, line: s.lineNo, reason: s.reason })),
        createdActiveFile,
        quarantined,
        readOnly,
      },
    }
  } catch (err) {
    await handle.close().catch(() => undefined)
    throw err
  }
}

