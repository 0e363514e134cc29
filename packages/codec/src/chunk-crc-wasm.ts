import { CRC32_TABLES, crc32InPlace } from './crc-range.js'
import { InvalidArgumentError } from './errors.js'

/**
 * Lines at least this long go to {@link crc32InPlace} (and so to zlib) rather than to the module:
 * measured on Node 20, the module beats a call into zlib up to ~400 bytes (250 ns against 283 ns).
 */
const WASM_BELOW_BYTES = 512

/**
 * Checksums ranges of one chunk: `crc(start, end)` is the CRC-32 of `buf[start, end)` (the
 * value `crc32Range` gives), for `0 <= start <= end <= length` (not checked: the caller
 * takes ranges from the chunk it scans).
 */
export type ChunkCrc32 = (start: number, end: number) => number

/** The slice of WebAssembly's API used here (the package's `lib` has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: { crc: (start: number, end: number) => number; mem: { buffer: ArrayBuffer; grow(pages: number): number } } }
}

/** Where a chunk's bytes start in the module's memory: the 8 tables (8 KiB) come first. */
const DATA_BASE = CRC32_TABLES.byteLength
const PAGE_BYTES = 64 * 1024
/**
 * The largest chunk copied into the module's memory, which never shrinks: a chunk is 256 KiB
 * (`@quire/ndjson-log`'s reads) plus a carried partial line. A larger one (a long line) is checksummed
 * by {@link crc32InPlace} where it lies.
 */
const MAX_COPIED_BYTES = 1024 * 1024

const uleb = (n: number): number[] => {
  const out: number[] = []
  do {
    const b = n & 0x7f
    n >>>= 7
    out.push(n === 0 ? b : b | 0x80)
  } while (n !== 0)
  return out
}
const sleb = (n: number): number[] => {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b]
    out.push(b | 0x80)
  }
}

/**
 * A WebAssembly module of one function, `crc(start, end)`: the CRC-32 of memory `[start, end)` by
 * slicing-by-8 over `CRC32_TABLES` (at memory 0). It is {@link crc32InPlace}'s loop, compiled ahead:
 * faster than the same loop in JavaScript from ~100 bytes on (Node 20, interleaved, load 15: 128 ns
 * against 158 ns for 180 bytes; a little slower below 50 bytes), without
 * the ~230 ns a call into zlib costs. Assembled here from its opcodes (the WebAssembly 1.0 binary
 * format) rather than shipped as a binary, so that what runs can be read.
 */
function crcModuleBytes(): Uint8Array {
  // Locals: 0 = start (advanced as bytes are consumed), 1 = end, 2 = crc register, 3 = high word.
  const [S, E, C, H] = [0, 1, 2, 3]
  const get = (i: number): number[] => [0x20, i]
  const set = (i: number): number[] => [0x21, i]
  const i32 = (n: number): number[] => [0x41, ...sleb(n)]
  const [ADD, AND, XOR, SHL, SHR_U, GT_U, GE_U] = [0x6a, 0x71, 0x73, 0x74, 0x76, 0x4b, 0x4f]
  const LOAD = 0x28
  const LOAD8_U = 0x2d
  const [BLOCK, LOOP, BR, BR_IF, END, VOID] = [0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x40]
  // TABLES[k * 256 + byte `shift` of local v], xored into what is on the stack unless first.
  const lookup = (v: number, shift: number, k: number, first = false): number[] => [
    ...get(v),
    ...(shift === 0 ? [] : [...i32(shift), SHR_U]),
    ...(shift === 24 ? [] : [...i32(0xff), AND]),
    ...i32(2),
    SHL,
    LOAD,
    2,
    ...uleb(k * 1024),
    ...(first ? [] : [XOR]),
  ]
  const body = [
    ...i32(-1),
    ...set(C),
    // Eight bytes a step while eight remain.
    ...[BLOCK, VOID, LOOP, VOID],
    ...[...get(S), ...i32(8), ADD, ...get(E), GT_U, BR_IF, 1],
    ...[...get(C), ...get(S), LOAD, 0, 0, XOR, ...set(C)],
    ...[...get(S), LOAD, 0, 4, ...set(H)],
    ...lookup(C, 0, 7, true),
    ...lookup(C, 8, 6),
    ...lookup(C, 16, 5),
    ...lookup(C, 24, 4),
    ...lookup(H, 0, 3),
    ...lookup(H, 8, 2),
    ...lookup(H, 16, 1),
    ...lookup(H, 24, 0),
    ...set(C),
    ...[...get(S), ...i32(8), ADD, ...set(S)],
    ...[BR, 0, END, END],
    // Then a byte a step.
    ...[BLOCK, VOID, LOOP, VOID],
    ...[...get(S), ...get(E), GE_U, BR_IF, 1],
    ...[...get(C), ...get(S), LOAD8_U, 0, 0, XOR, ...i32(0xff), AND, ...i32(2), SHL, LOAD, 2, 0],
    ...[...get(C), ...i32(8), SHR_U, XOR, ...set(C)],
    ...[...get(S), ...i32(1), ADD, ...set(S)],
    ...[BR, 0, END, END],
    ...[...get(C), ...i32(-1), XOR],
    END,
  ]
  const func = [1, 2, 0x7f, ...body] // one group of 2 i32 locals
  const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes]
  const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')]
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]), // type 0: (i32, i32) -> i32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0, 1]), // one memory, at least 1 page
    ...section(7, [2, ...name('crc'), 0, 0, ...name('mem'), 2, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ])
}

interface CrcModule {
  readonly crc: (start: number, end: number) => number
  readonly mem: { buffer: ArrayBuffer; grow(pages: number): number }
}

/** The module, once instantiated; null where WebAssembly is not available (`--jitless`). */
let module: CrcModule | null | undefined
/** A token of the chunk whose bytes the module's memory holds now. */
let loaded: object | undefined

function crcModule(): CrcModule | null {
  if (module !== undefined) return module
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
  try {
    if (wasm === undefined) throw new Error('no WebAssembly')
    const { crc, mem } = new wasm.Instance(new wasm.Module(crcModuleBytes())).exports
    new Int32Array(mem.buffer, 0, CRC32_TABLES.length).set(CRC32_TABLES)
    module = { crc, mem }
  } catch {
    module = null
  }
  return module
}

/**
 * A checksummer for ranges of `buf[0, length)`, a chunk just read from a file (for example the
 * lines of an NDJSON log), which must not change afterwards: its bytes are copied once into a
 * WebAssembly module's memory and each range checksummed there by the slicing-by-8 loop of
 * `crc32Range` (Kounavis and Berry, 2005), compiled ahead. Only one chunk is held at a
 * time; the checksummer of a chunk no longer held (another chunk was loaded meanwhile), one too
 * large to copy (over 1 MiB), or one made where WebAssembly is not available (`--jitless`)
 * checksums with `crc32Range`'s JavaScript loop instead: same results, a little slower. Ranges of
 * 512 bytes or more go to zlib (in the fallback, from 256 bytes, as `crc32Range` sends them).
 *
 * @param buf - the chunk's buffer.
 * @param length - how many of its bytes are the chunk, `0 <= length <= buf.length`.
 * @returns the checksummer of the chunk's ranges.
 * @throws {@link InvalidArgumentError} (code `INVALID_ARGUMENT`) if `length` is out of range.
 */
export function chunkCrc32(buf: Uint8Array, length: number): ChunkCrc32 {
  if (!(Number.isInteger(length) && length >= 0 && length <= buf.length)) {
    throw new InvalidArgumentError(`chunkCrc32: length ${length} is not within the ${buf.length} bytes`)
  }
  const wasm = length <= MAX_COPIED_BYTES ? crcModule() : null
  if (wasm === null) return (start, end) => crc32InPlace(buf, start, end)
  const have = wasm.mem.buffer.byteLength
  if (have < DATA_BASE + length) wasm.mem.grow(Math.ceil((DATA_BASE + length - have) / PAGE_BYTES))
  new Uint8Array(wasm.mem.buffer, DATA_BASE, length).set(buf.subarray(0, length))
  const chunk = {}
  loaded = chunk
  const { crc } = wasm
  return (start, end) => {
    if (loaded !== chunk) return crc32InPlace(buf, start, end)
    // A range long enough for zlib's speed to pay its call goes there.
    return end - start >= WASM_BELOW_BYTES ? crc32InPlace(buf, start, end) : crc(DATA_BASE + start, DATA_BASE + end) >>> 0
  }
}
