import type { FileHandle } from '@quire/vfs'
import { NdjsonCorruptError, UnsupportedVersionError } from './errors.js'
import { FORMAT_MAGIC, FORMAT_VERSION, parseLine, type BadLine, type ParsedLine } from './format.js'
import { readLines, type LinesEnd, type RawLine } from './line-scanner.js'
import { TransactionAssembler } from './transactions.js'

/** Checks and parses one line (see `parseLine`); an overlong line is bad. */
function parseRaw(line: RawLine): ParsedLine | BadLine {
  if (line.overlong) return { kind: 'bad', reason: 'line too long', crcValid: false }
  return parseLine(line.buf, line.start, line.end)
}

/** Checks line 1 of a file: a header of this format version. Returns its `startSeq`. */
export function checkHeader(file: string, line: RawLine | undefined): number {
  if (line === undefined) throw new NdjsonCorruptError(file, 1, 'no complete header line')
  const parsed = parseRaw(line)
  if (parsed.kind !== 'header') {
    // A newer release may change more than the version (a new checksum rule): its magic and a
    // higher version are enough to refuse the file as unsupported rather than damaged.
    const newer = line.overlong ? undefined : newerHeaderVersion(line.buf.toString('latin1', line.start, Math.min(line.end, line.start + 64)))
    if (newer !== undefined) throw new UnsupportedVersionError(file, newer)
    throw new NdjsonCorruptError(file, 1, parsed.kind === 'bad' ? `bad header: ${parsed.reason}` : 'no header line')
  }
  if (parsed.version !== FORMAT_VERSION) throw new UnsupportedVersionError(file, parsed.version)
  return parsed.startSeq
}

const NEWER_HEADER = new RegExp(`^\\{"format":"${FORMAT_MAGIC}","version":([1-9]\\d{0,8})[,}]`)

/** The version of a header line that starts as this format's does with a version above ours. */
function newerHeaderVersion(start: string): number | undefined {
  const m = NEWER_HEADER.exec(start)
  const version = m === null ? undefined : Number(m[1])
  return version !== undefined && version > FORMAT_VERSION ? version : undefined
}

/** Reads the header line of a file (line 1) and returns its `startSeq`. */
export async function readStartSeq(handle: FileHandle, file: string, size: number): Promise<number> {
  const lines = readLines(handle, 0, Math.min(size, 4096), 1)
  const first = await lines.next()
  await lines.return({ end: 0, partialBytes: 0, partialLineNo: 0 })
  return checkHeader(file, first.done === true ? undefined : first.value.line(0))
}

export interface FileScan {
  readonly startSeq: number
  readonly headerEnd: number
  readonly assembler: TransactionAssembler<undefined>
  /** Undefined when the scan stopped early at corruption. */
  readonly linesEnd: LinesEnd | undefined
}

/**
 * Scans a whole file for recovery (records are not parsed: their checksums vouch for them).
 * Without `skip`, stops early once corruption in the middle is certain.
 */
export async function scanFile(handle: FileHandle, file: string, size: number, skip: boolean): Promise<FileScan> {
  const lines = readLines(handle, 0, size, 1)
  let startSeq = 0
  let headerEnd = 0
  let assembler: TransactionAssembler<undefined> | undefined
  for (;;) {
    const step = await lines.next()
    if (step.done === true) {
      if (assembler === undefined) checkHeader(file, undefined)
      assembler!.finish(step.value.end, step.value.partialBytes, step.value.partialLineNo)
      return { startSeq, headerEnd, assembler: assembler!, linesEnd: step.value }
    }
    const chunk = step.value
    for (let i = 0; i < chunk.count; i++) {
      if (assembler === undefined) {
        startSeq = checkHeader(file, chunk.line(i))
        headerEnd = chunk.next(i)
        assembler = new TransactionAssembler<undefined>(startSeq, headerEnd, skip, () => undefined)
        continue
      }
      assembler.line(chunk.firstLineNo + i, chunk.offset(i), chunk.next(i), chunk.parse(i), undefined)
    }
    if (!skip && assembler?.corrupt !== undefined) {
      await lines.return({ end: 0, partialBytes: 0, partialLineNo: 0 })
      return { startSeq, headerEnd, assembler, linesEnd: undefined }
    }
  }
}
