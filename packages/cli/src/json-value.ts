/*
 * Values read from stores as JSON a person and `jq` can read: binary as text when it is UTF-8 text,
 * base64 otherwise; `Date`s as ISO strings; bigints (event-store positions) as numbers while safe.
 */

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

// Control characters other than tab, newline and carriage return make bytes "binary": they would
// not survive a terminal or an editor, so such bytes are shown as base64.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

/** `bytes` as UTF-8 text, or `undefined` when they are not well-formed UTF-8 text. */
export function asText(bytes: Uint8Array): string | undefined {
  try {
    const text = STRICT_UTF8.decode(bytes)
    return CONTROL.test(text) ? undefined : text
  } catch {
    return undefined
  }
}

/**
 * Sets `out[name]` to the text of `bytes`, or `out[name + 'Base64']` to their base64 when they
 * are not text; `null` stays `null` under `name`.
 */
export function putBytes(out: Record<string, unknown>, name: string, bytes: Uint8Array | null): void {
  if (bytes === null) {
    out[name] = null
    return
  }
  const text = asText(bytes)
  if (text !== undefined) out[name] = text
  else out[`${name}Base64`] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** A `bigint` as a number when it is a safe integer, else as a decimal string. */
export function bigintOut(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString()
}

/** Any decoded value made JSON-safe (Dates, bigints, binary, Maps). */
export function toJsonSafe(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
  if (typeof value === 'bigint') return bigintOut(value)
  if (value instanceof Uint8Array) {
    const out: Record<string, unknown> = {}
    putBytes(out, 'bytes', value)
    return out
  }
  if (Array.isArray(value)) return value.map(toJsonSafe)
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), toJsonSafe(v)]))
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v)
    return out
  }
  return value
}

/** One NDJSON line. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(toJsonSafe(value)) + '\n'
}
