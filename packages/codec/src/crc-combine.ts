// CRC-32 arithmetic for the resync search: the CRC of any byte range from two prefix CRCs, in
// O(log length) instead of re-reading the range. The CRC itself is always zlib's; this is only
// zlib's own crc32_combine (multmodp / x2nmodp, zlib 1.2.12+) rewritten in TypeScript, because
// Node does not expose it. It needs no lookup table, only the 32 powers x^(2^k) mod P below.

/** The CRC-32/ISO-HDLC polynomial, reflected. */
const POLY = 0xedb88320

/** a(x) · b(x) modulo P(x), in the reflected bit order of the CRC. `a` must not be 0. */
function multmodp(a: number, b: number): number {
  let m = 0x8000_0000
  let p = 0
  for (;;) {
    if (a & m) {
      p ^= b
      if ((a & (m - 1)) === 0) break
    }
    m >>>= 1
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1
  }
  return p >>> 0
}

/** X2N[k] = x^(2^k) modulo P(x). */
const X2N: number[] = []
{
  let p = 0x4000_0000 // x^1
  X2N.push(p)
  for (let k = 1; k < 32; k++) {
    p = multmodp(p, p)
    X2N.push(p)
  }
}

/**
 * Recent shift operators by byte count: damaged data tends to repeat the same few length
 * values (zeros, patterns), and a hit saves up to 32 multiplications.
 */
const shiftCache = new Map<number, number>()
const SHIFT_CACHE_ENTRIES = 4096

/** x^(8 · byteCount) modulo P(x): the operator that shifts a CRC past `byteCount` bytes. */
function shiftBytes(byteCount: number): number {
  const cached = shiftCache.get(byteCount)
  if (cached !== undefined) return cached
  let p = 0x8000_0000 // x^0
  let k = 3
  for (let n = byteCount; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) p = multmodp(X2N[k & 31]!, p)
  }
  if (shiftCache.size >= SHIFT_CACHE_ENTRIES) shiftCache.clear()
  shiftCache.set(byteCount, p)
  return p
}

/**
 * The CRC-32 of the bytes `[q, e)` of a stream, from `crcToQ` = CRC-32 of the stream's bytes
 * before `q` and `crcToE` = CRC-32 of the bytes before `e` (both from the same start).
 * Since crc(A ++ B) = shift(crc(A), |B|) XOR crc(B), crc(B) = crc(A ++ B) XOR shift(crc(A), |B|).
 */
export function crcOfRange(crcToQ: number, crcToE: number, byteCount: number): number {
  return (crcToE ^ multmodp(shiftBytes(byteCount), crcToQ)) >>> 0
}
