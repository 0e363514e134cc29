import { FORMAT_MAGIC, FORMAT_VERSION } from './format-version.js'
import { crc32Range, type ChunkCrc32 } from '@quire/codec'

export { FORMAT_MAGIC, FORMAT_VERSION }

/** `,"crc":"XXXXXXXX"}`: the last bytes of every line. */
export const CRC_SUFFIX_BYTES = 18

const NEWLINE = 0x0a
const HEADER_PREFIX = Buffer.from(`{"format":"${FORMAT_MAGIC}","version":`, 'latin1')
const SEQ_PREFIX = Buffer.from('{"seq":', 'latin1')
const BATCH_PREFIX = Buffer.from(',"batch":[', 'latin1')
const REC_PREFIX = Buffer.from(',"rec":', 'latin1')
const START_SEQ_PREFIX = Buffer.from(',"startSeq":', 'latin1')
const CRC_PREFIX = Buffer.from(',"crc":"', 'latin1')

/** Upper bound of the bytes a line adds around its record's JSON (prefix, suffix, newline). */
const LINE_OVERHEAD_BOUND = 96

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1')

/** Appends the CRC suffix and newline for the line that starts at `lineStart`; returns the new end. */
function sealLine(out: Buffer, lineStart: number, end: number): number {
  const crc = crc32Range(out, lineStart, end)
  // Byte by byte rather than through a string: this runs once per line on the hot path.
  end += CRC_PREFIX.copy(out, end)
  for (let shift = 28; shift >= 0; shift -= 4) out[end++] = HEX_DIGITS[(crc >>> shift) & 0xf]!
  out[end++] = 0x22 // "
  out[end++] = 0x7d // }
  out[end++] = NEWLINE
  return end
}

/** The header line (with its newline) of a file whose first record has `startSeq`. */
export function formatHeader(startSeq: number): Buffer {
  const out = Buffer.alloc(LINE_OVERHEAD_BOUND + 64)
  let end = out.write(`{"format":"${FORMAT_MAGIC}","version":${FORMAT_VERSION},"startSeq":${startSeq}`, 0, 'latin1')
  end = sealLine(out, 0, end)
  return out.subarray(0, end)
}

/** One transaction to encode: the serialized JSON of its records (more than one: a batch). */
export interface EncodableTransaction {
  /** Each record's JSON text (no raw newline: JSON escapes them). */
  readonly records: readonly string[]
}

/** Upper bound of the bytes {@link encodeTransactions} produces for these record sizes. */
export function encodedBoundBytes(recordBytes: number, recordCount: number): number {
  return recordBytes + recordCount * LINE_OVERHEAD_BOUND
}

/**
 * Encodes transactions as lines, `seq` numbered from `firstSeq`, into `out` from `offset`.
 * Returns the end offset. `out` must hold {@link encodedBoundBytes} bytes.
 */
export function encodeTransactions(
  out: Buffer,
  offset: number,
  firstSeq: number,
  txs: readonly EncodableTransaction[],
): number {
  let seq = firstSeq
  let end = offset
  for (const tx of txs) {
    const n = tx.records.length
    for (let i = 0; i < n; i++) {
      const lineStart = end
      end += out.write(n === 1 ? `{"seq":${seq},"rec":` : `{"seq":${seq},"batch":[${i + 1},${n}],"rec":`, end, 'latin1')
      end += out.write(tx.records[i]!, end, 'utf8')
      end = sealLine(out, lineStart, end)
      seq++
    }
  }
  return end
}

/** `{"pad":"`: how the preallocated free space at the end of an active file starts. */
export const PAD_PREFIX = Buffer.from('{"pad":"', 'latin1')
/** `"}` + newline: how the free space ends. */
export const PAD_SUFFIX = Buffer.from('"}\n', 'latin1')
/** The smallest pad line: no spaces. */
export const PAD_MIN_BYTES = PAD_PREFIX.length + PAD_SUFFIX.length

/**
 * A pad line of `bytes` bytes (newline included): `{"pad":"` + spaces + `"}` + newline. It is valid
 * JSON, so the file stays valid NDJSON while space is preallocated after the data.
 */
export function formatPad(bytes: number): Buffer {
  const out = Buffer.alloc(bytes, 0x20)
  PAD_PREFIX.copy(out, 0)
  PAD_SUFFIX.copy(out, bytes - PAD_SUFFIX.length)
  return out
}

/** A line that passed its checksum and has the documented layout (or is the free-space line). */
export type ParsedLine =
  | { readonly kind: 'pad' }
  | { readonly kind: 'header'; readonly version: number; readonly startSeq: number }
  | {
      readonly kind: 'record'
      readonly seq: number
      /** 1-based position in its batch, 1 for a single record. */
      readonly batchIndex: number
      /** Records in its batch, 1 for a single record. */
      readonly batchSize: number
      /** Where the record's JSON lies in the buffer given to {@link parseLine}. */
      readonly recStart: number
      readonly recEnd: number
    }

/** A line that is not good; `crcValid` tells whether its checksum at least matched. */
export interface BadLine {
  readonly kind: 'bad'
  readonly reason: string
  readonly crcValid: boolean
}

function matchAt(buf: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at + expected.length > buf.length) return false
  for (let i = 0; i < expected.length; i++) if (buf[at + i] !== expected[i]) return false
  return true
}

// The three prefixes every record line has, compared byte by byte with constants: the generic
// loop of `matchAt` (two loads and a bound a byte) was a fifth of the cost of checking a line.
// Past the end of `buf` a read gives undefined, which equals no byte: as `matchAt`, false.

/** `buf[at, at + 8)` is `,"crc":"` (CRC_PREFIX). */
function isCrcPrefix(buf: Uint8Array, at: number): boolean {
  return buf[at] === 0x2c && buf[at + 1] === 0x22 && buf[at + 2] === 0x63 && buf[at + 3] === 0x72 && buf[at + 4] === 0x63 && buf[at + 5] === 0x22 && buf[at + 6] === 0x3a && buf[at + 7] === 0x22
}

/** `buf[at, at + 7)` is `{"seq":` (SEQ_PREFIX). */
function isSeqPrefix(buf: Uint8Array, at: number): boolean {
  return buf[at] === 0x7b && buf[at + 1] === 0x22 && buf[at + 2] === 0x73 && buf[at + 3] === 0x65 && buf[at + 4] === 0x71 && buf[at + 5] === 0x22 && buf[at + 6] === 0x3a
}

/** `buf[at, at + 7)` is `,"rec":` (REC_PREFIX). */
function isRecPrefix(buf: Uint8Array, at: number): boolean {
  return buf[at] === 0x2c && buf[at + 1] === 0x22 && buf[at + 2] === 0x72 && buf[at + 3] === 0x65 && buf[at + 4] === 0x63 && buf[at + 5] === 0x22 && buf[at + 6] === 0x3a
}

/** Where the last {@link readUint} stopped (a module-level slot: no tuple per call on the hot path). */
let uintEnd = 0

/** Reads a decimal integer (no sign, no leading zeros) at `at`, setting `uintEnd`; -1 when there is none. */
function readUint(buf: Uint8Array, at: number, limit: number): number {
  let end = at
  let value = 0
  while (end < limit && end - at < 16) {
    const c = buf[end]!
    if (c < 0x30 || c > 0x39) break
    value = value * 10 + (c - 0x30)
    end++
  }
  uintEnd = end
  if (end === at) return -1
  if (buf[at] === 0x30 && end - at > 1) return -1
  if (!Number.isSafeInteger(value)) return -1
  return value
}

/** Each byte's value as a lowercase hexadecimal digit, -1 for any other byte. */
const HEX_VALUE = new Int8Array(256).fill(-1)
for (let d = 0; d < 16; d++) HEX_VALUE[HEX_DIGITS[d]!] = d

/** The 8 lowercase hex digits at `at` as a number; undefined unless all 8 are hex digits. */
function readHex8(buf: Uint8Array, at: number): number | undefined {
  // Table lookups without a branch per digit: a byte that is no digit makes its value, and so
  // the OR of all of them, negative.
  const d0 = HEX_VALUE[buf[at]!]!
  const d1 = HEX_VALUE[buf[at + 1]!]!
  const d2 = HEX_VALUE[buf[at + 2]!]!
  const d3 = HEX_VALUE[buf[at + 3]!]!
  const d4 = HEX_VALUE[buf[at + 4]!]!
  const d5 = HEX_VALUE[buf[at + 5]!]!
  const d6 = HEX_VALUE[buf[at + 6]!]!
  const d7 = HEX_VALUE[buf[at + 7]!]!
  if ((d0 | d1 | d2 | d3 | d4 | d5 | d6 | d7) < 0) return undefined
  return ((d0 << 28) | (d1 << 24) | (d2 << 20) | (d3 << 16) | (d4 << 12) | (d5 << 8) | (d6 << 4) | d7) >>> 0
}

/** A line whose checksum matched but whose layout is not the documented one. */
function layout(reason: string): BadLine {
  return { kind: 'bad', reason, crcValid: true }
}

/**
 * Checks and parses the line `buf[start, end)` (newline excluded). Never throws: a line that is
 * not good comes back as a {@link BadLine}. The record's JSON is not parsed here (its checksum
 * vouches for it); the caller parses it when it needs the value. `crc` checksums a range of `buf`
 * (a chunk's {@link ChunkCrc32}; by default `crc32Range`).
 */
export function parseLine(buf: Uint8Array, start: number, end: number, crc?: ChunkCrc32): ParsedLine | BadLine {
  // Each prefix test first looks at the one byte that tells it from a record line's prefix.
  if (buf[start + 2] === 0x70 && matchAt(buf, start, PAD_PREFIX) && end - start >= PAD_MIN_BYTES - 1 && buf[end - 2] === 0x22 && buf[end - 1] === 0x7d) {
    let i = start + PAD_PREFIX.length
    while (i < end - 2 && buf[i] === 0x20) i++
    if (i === end - 2) return { kind: 'pad' }
  }
  const suffixAt = end - CRC_SUFFIX_BYTES
  if (suffixAt <= start || !isCrcPrefix(buf, suffixAt) || buf[end - 2] !== 0x22 || buf[end - 1] !== 0x7d) {
    return { kind: 'bad', reason: 'no checksum suffix', crcValid: false }
  }
  const stored = readHex8(buf, suffixAt + CRC_PREFIX.length)
  if (stored === undefined) return { kind: 'bad', reason: 'malformed checksum', crcValid: false }
  const actual = crc === undefined ? crc32Range(buf, start, suffixAt) : crc(start, suffixAt)
  if (actual !== stored) return { kind: 'bad', reason: 'checksum mismatch', crcValid: false }

  if (isSeqPrefix(buf, start)) {
    const seq = readUint(buf, start + SEQ_PREFIX.length, suffixAt)
    if (seq < 1) return layout('bad seq')
    let at = uintEnd
    let batchIndex = 1
    let batchSize = 1
    if (buf[at + 2] === 0x62 && matchAt(buf, at, BATCH_PREFIX)) {
      const i = readUint(buf, at + BATCH_PREFIX.length, suffixAt)
      if (i < 0 || buf[uintEnd] !== 0x2c) return layout('bad batch')
      const n = readUint(buf, uintEnd + 1, suffixAt)
      if (n < 0 || buf[uintEnd] !== 0x5d) return layout('bad batch')
      if (n < 2 || i < 1 || i > n) return layout('bad batch position')
      batchIndex = i
      batchSize = n
      at = uintEnd + 1
    }
    if (!isRecPrefix(buf, at)) return layout('no record')
    const recStart = at + REC_PREFIX.length
    if (buf[recStart] !== 0x7b || buf[suffixAt - 1] !== 0x7d) return layout('record is not a JSON object')
    return { kind: 'record', seq, batchIndex, batchSize, recStart, recEnd: suffixAt }
  }
  if (matchAt(buf, start, HEADER_PREFIX)) {
    const version = readUint(buf, start + HEADER_PREFIX.length, suffixAt)
    if (version < 0) return layout('bad header version')
    if (version !== FORMAT_VERSION) return { kind: 'header', version, startSeq: 0 }
    if (!matchAt(buf, uintEnd, START_SEQ_PREFIX)) return layout('bad header')
    const startSeq = readUint(buf, uintEnd + START_SEQ_PREFIX.length, suffixAt)
    if (startSeq < 1 || uintEnd !== suffixAt) return layout('bad header')
    return { kind: 'header', version, startSeq }
  }
  return layout('unknown line')
}

export { NEWLINE }
