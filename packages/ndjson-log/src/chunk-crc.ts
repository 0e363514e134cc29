import { CRC_TABLES, lineCrc, NATIVE_FROM_BYTES } from './line-crc.js'

/** Checksums line ranges of one chunk: `crc(start, end)` is the CRC-32 of `buf[start, end)`. */
export type ChunkCrc = (start: number, end: number) => number

/** The slice of WebAssembly's API used here (the package's `lib` has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: { crc: (start: number, end: number) => number; mem: { buffer: ArrayBuffer; grow(pages: number): number } } }
}

/** Where a chunk's bytes start in the module's memory: the 8 tables (8 KiB) come first. */
const DATA_BASE = CRC_TABLES.byteLength
const PAGE_BYTES = 64 * 1024
/**
 * The largest chunk copied into the module's memory, which never shrinks: a chunk is 256 KiB
 * (`READ_CHUNK_BYTES`) plus a carried partial line. A larger one (a long line) is checksummed
 * by `lineCrc` where it lies.
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
 * slicing-by-8 over `CRC_TABLES` (at memory 0). It is `lineCrc`'s loop, compiled ahead: twice as
 * fast as the same loop in JavaScript on the ~180-byte lines of an event log (Node 20), without
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
    new Int32Array(mem.buffer, 0, CRC_TABLES.length).set(CRC_TABLES)
    module = { crc, mem }
  } catch {
    module = null
  }
  return module
}

/**
 * A checksummer for the lines of `buf[0, length)`, a chunk just read from a file, which must not
 * change afterwards: its bytes are copied once into the WebAssembly module's memory and each
 * line checksummed there. Only one chunk is held at a time; the checksummer of a chunk no longer
 * held (another read went on meanwhile), too large to copy, or without WebAssembly, checksums
 * with `lineCrc` instead: same results, a little slower.
 */
export function chunkCrc(buf: Uint8Array, length: number): ChunkCrc {
  const wasm = length <= MAX_COPIED_BYTES ? crcModule() : null
  if (wasm === null) return (start, end) => lineCrc(buf, start, end)
  const have = wasm.mem.buffer.byteLength
  if (have < DATA_BASE + length) wasm.mem.grow(Math.ceil((DATA_BASE + length - have) / PAGE_BYTES))
  new Uint8Array(wasm.mem.buffer, DATA_BASE, length).set(buf.subarray(0, length))
  const chunk = {}
  loaded = chunk
  const { crc } = wasm
  return (start, end) => {
    if (loaded !== chunk) return lineCrc(buf, start, end)
    // A line long enough for zlib's speed to pay its call goes there, as lineCrc sends it.
    return end - start >= NATIVE_FROM_BYTES ? lineCrc(buf, start, end) : crc(DATA_BASE + start, DATA_BASE + end) >>> 0
  }
}
