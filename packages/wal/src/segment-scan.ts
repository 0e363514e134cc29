import { FrameScanner, crc32, scanFrames } from '@quire/codec'
import type { FileSystem } from '@quire/vfs'
import { WAL_MAX_FRAME_BYTES, WAL_READ_CHUNK_BYTES } from './limits.js'
import type { LogDecoder, Problem } from './log-decoder.js'
import { FRAME_BYTES } from './record.js'
import { SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, decodeHeader, readU32 } from './segment-header.js'

/** A range skipped in `'skip-corrupt'` mode. */
export interface SkippedRange {
  readonly offset: number
  readonly bytes: number
  readonly reason: string
}

export interface SegmentScanResult {
  /** How the bytes end (in skip mode: after the last skip). */
  readonly status: 'clean' | 'torn' | 'corrupt'
  /** The first problem (strict scan): corruption at `offset`. */
  readonly problem: Problem | undefined
  /** Ranges skipped (skip mode only). */
  readonly skipped: SkippedRange[]
}

/**
 * Scans one segment `[0, end)` into `decoder`, yielding after every chunk so a caller can hand
 * out the entries decoded so far. Strict scans read big chunks through a `FrameScanner` and stop
 * at the first problem; skip scans (`'skip-corrupt'`) read the segment whole and step over bad
 * frames.
 */
export async function* scanSegment(
  fs: FileSystem,
  path: string,
  decoder: LogDecoder,
  options: { readonly nameSeq: number; readonly end: number; readonly skip: boolean; readonly resume?: { readonly seq: number; readonly offset: number } },
): AsyncGenerator<void, SegmentScanResult> {
  const handle = await fs.open(path, 'r')
  try {
    const header = new Uint8Array(SEGMENT_HEADER_BYTES)
    const got = await handle.read(header, 0)
    const decoded = decodeHeader(SEGMENT_MAGIC, header.subarray(0, got))
    let headerProblem: Problem | undefined
    if ('invalid' in decoded) headerProblem = { offset: 0, reason: `segment header: ${decoded.invalid}` }
    else if (decoded.seq !== options.nameSeq) headerProblem = { offset: 0, reason: `header seq ${decoded.seq} does not match the file name` }
    else headerProblem = decoder.beginSegment(decoded.seq)
    if (!options.skip) {
      if (headerProblem !== undefined) return { status: 'corrupt', problem: headerProblem, skipped: [] }
      // From a seq mark of recovery's (strict scans only): the records before it are not read.
      const resume = options.resume
      if (resume !== undefined) decoder.resumeAt(resume.seq, resume.offset)
      return yield* scanStrict(handle, decoder, resume === undefined ? SEGMENT_HEADER_BYTES : resume.offset, options.end)
    }
    const skipped: SkippedRange[] = []
    if (headerProblem !== undefined) {
      skipped.push({ offset: 0, bytes: SEGMENT_HEADER_BYTES, reason: headerProblem.reason })
      decoder.beginUntrustedSegment()
    }
    return yield* scanSkipping(handle, decoder, options.end, skipped)
  } finally {
    await handle.close()
  }
}

async function* scanStrict(
  handle: { read(buffer: Uint8Array, position: number): Promise<number> },
  decoder: LogDecoder,
  start: number,
  end: number,
): AsyncGenerator<void, SegmentScanResult> {
  const scanner = new FrameScanner({ maxFrameBytes: WAL_MAX_FRAME_BYTES, offset: start })
  let pos = start
  while (pos < end) {
    const want = Math.min(WAL_READ_CHUNK_BYTES, end - pos)
    // A fresh buffer per chunk, never written again: entries are views of it.
    const chunk = new Uint8Array(want)
    const got = await handle.read(chunk, pos)
    // The decoder takes each frame where it lies in the chunk: no frame object or view per frame.
    if (!scanner.pushTo(got < want ? chunk.subarray(0, got) : chunk, decoder)) {
      return { status: 'corrupt', problem: decoder.takeProblem(), skipped: [] }
    }
    pos += got
    yield
    if (got < want) break
  }
  const fin = scanner.finish()
  if (fin.status === 'corrupt') {
    return {
      status: 'corrupt',
      problem: { offset: fin.corruptAt ?? fin.end, reason: 'bad frame followed by valid frames' },
      skipped: [],
    }
  }
  return { status: fin.status, problem: undefined, skipped: [] }
}

async function* scanSkipping(
  handle: { read(buffer: Uint8Array, position: number): Promise<number> },
  decoder: LogDecoder,
  end: number,
  skipped: SkippedRange[],
): AsyncGenerator<void, SegmentScanResult> {
  const bytes = new Uint8Array(Math.max(end, SEGMENT_HEADER_BYTES))
  const got = await handle.read(bytes, 0)
  const data = bytes.subarray(0, got)
  let pos = Math.min(SEGMENT_HEADER_BYTES, data.length)
  for (;;) {
    const res = scanFrames(data, { offset: pos, maxFrameBytes: WAL_MAX_FRAME_BYTES })
    for (const f of res.frames) {
      const problem = decoder.frame(f.offset, f.payload)
      if (problem === undefined) continue
      // Drop the batch the problem breaks, then give this frame a second chance on its own.
      const from = decoder.pendingStart >= 0 ? decoder.pendingStart : f.offset
      decoder.skip()
      const again = decoder.frame(f.offset, f.payload)
      const to = again === undefined ? f.offset : f.offset + FRAME_BYTES + f.payload.byteLength
      if (again !== undefined) decoder.skip()
      if (to > from) skipped.push({ offset: from, bytes: to - from, reason: problem.reason })
    }
    yield
    if (res.status !== 'corrupt') return { status: res.status, problem: undefined, skipped }
    const next = findValidFrame(data, res.end)
    const from = decoder.pendingStart >= 0 ? decoder.pendingStart : res.end
    skipped.push({ offset: from, bytes: next - from, reason: 'bad frame' })
    decoder.skip()
    pos = next
  }
}

/** The next offset after the bad frame at `bad` where a CRC-valid frame starts (one exists). */
function findValidFrame(data: Uint8Array, bad: number): number {
  // First guess: the bad frame's length field is intact and only its bytes are damaged.
  if (bad + 4 <= data.length) {
    const guess = bad + FRAME_BYTES + readU32(data, bad)
    if (guess > bad && isValidFrameAt(data, guess)) return guess
  }
  for (let pos = bad + 1; pos + FRAME_BYTES <= data.length; pos++) if (isValidFrameAt(data, pos)) return pos
  return data.length
}

function isValidFrameAt(data: Uint8Array, pos: number): boolean {
  if (pos + FRAME_BYTES > data.length) return false
  const length = readU32(data, pos)
  if (length > WAL_MAX_FRAME_BYTES || pos + FRAME_BYTES + length > data.length) return false
  return crc32(data.subarray(pos, pos + 4 + length)) === readU32(data, pos + 4 + length)
}
