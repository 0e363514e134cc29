import { join } from 'node:path'
import { quarantineBytes, readFully, writeFileAtomic, type FileHandle, type FileSystem } from '@quire/vfs'
import { NdjsonCorruptError } from './errors.js'
import { archiveName, archiveNumber, isOwnTempFile, type LogFiles } from './files.js'
import { formatHeader } from './format.js'
import { scanFile, type RecoveryMode } from './scan-file.js'

/** A line recovery found damaged (see {@link RecoveryReport}). */
export interface DamagedLine {
  readonly file: string
  /** 1-based line number. */
  readonly line: number
  readonly reason: string
}

/** What `open` found and did. */
export interface RecoveryReport {
  /**
   * Bytes cut from the end of the active file: a torn tail, or (`'point-in-time'`) everything from
   * the damage on. Preallocated free space (the pad line) left by a writer that did not close is
   * released too, but not counted.
   */
  readonly truncatedBytes: number
  /** Bytes of preallocated free space (the pad line) a writer that did not close left, removed. */
  readonly releasedBytes: number
  /** Under `'point-in-time'`: the damaged line in the middle the file was cut at. */
  readonly cutAt: DamagedLine | undefined
  /** Under `'skip-corrupt'`: damaged lines (and the rest of their batches) left in the file and skipped. */
  readonly skipped: readonly DamagedLine[]
  /** True when the active file was missing (a new log, or a crash during rotation) and was created. */
  readonly createdActiveFile: boolean
  /**
   * Quarantine files (absolute paths) holding, exactly, the bytes this recovery cut: written
   * durably before the cut, never deleted by the library (see FORMAT.md). A torn tail and a last
   * line damaged at rest look the same; this is how the second can be got back. Free space (the pad
   * line) and all-zero bytes are not kept.
   */
  readonly quarantined: readonly string[]
}

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

/** Lists this log's archives and removes temp files an interrupted `writeFileAtomic` left. */
async function listDirectory(fs: FileSystem, files: LogFiles): Promise<number[]> {
  const archives: number[] = []
  for (const name of await fs.readdir(files.dir)) {
    const n = archiveNumber(files, name)
    if (n !== undefined) archives.push(n)
    else if (isOwnTempFile(files, name)) await fs.unlink(join(files.dir, name)).catch(() => undefined)
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
 */
export async function recoverLog(fs: FileSystem, files: LogFiles, mode: RecoveryMode): Promise<RecoveredLog> {
  const archives = await listDirectory(fs, files)
  let createdActiveFile = false
  let size = (await fs.exists(files.path)) ? (await fs.stat(files.path)).size : -1
  if (size <= 0) {
    // Missing (new log, or a crash between the rename and the new file of a rotation) or empty
    // (created by someone else): start a file whose first seq follows the last archive's.
    const last = archives[archives.length - 1]
    const startSeq = last === undefined ? 1 : (await archiveLastSeq(fs, join(files.dir, archiveName(files, last)), mode)) + 1
    await writeFileAtomic(fs, files.path, formatHeader(startSeq))
    createdActiveFile = true
  }
  const handle = await fs.open(files.path, 'r+')
  try {
    size = await handle.size()
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
    if (cut !== undefined && cut + released < size) {
      // Never destroy bytes unseen: keep what is cut (the free-space line excepted), durably, first.
      const bytes = await readFully(handle, cut + released, size - cut - released)
      const name = await quarantineBytes(fs, files.dir, files.base, cut + released, bytes)
      if (name !== undefined) quarantined.push(join(files.dir, name))
    }
    if (cut !== undefined && cut < size) await handle.truncate(cut)
    // Always sync, and sync the directory: after a SIGKILL the OS may still hold writes the dead
    // process never synced (even the file's name). Recovery just read them as the log; make them
    // durable before anything new is built on them, or a power loss could take both away.
    await handle.sync()
    await fs.syncDir(files.dir)
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
      },
    }
  } catch (err) {
    await handle.close().catch(() => undefined)
    throw err
  }
}

