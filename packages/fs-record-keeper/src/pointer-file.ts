import { crc32 } from '@quire/codec'
import { hex8 } from './hex8.js'
import { isUuid, UUID_CHARS } from './ids.js'

/** Length of `rk/head` and `rk/tail`: `<uuid>\n` + `crc32=<hex8>\n`. */
export const POINTER_FILE_BYTES = UUID_CHARS + 1 + 6 + 8 + 1

const ascii = new TextEncoder()
const text = new TextDecoder('utf-8', { fatal: false })

/** The bytes of a pointer file naming `id` (see FORMAT.md). */
export function encodePointer(id: string): Uint8Array {
  return ascii.encode(`${id}\ncrc32=${hex8(crc32(ascii.encode(id)))}\n`)
}

/** The id a pointer file names, or `undefined` when its bytes fail any check. */
export function decodePointer(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength !== POINTER_FILE_BYTES) return undefined
  const content = text.decode(bytes)
  const id = content.slice(0, UUID_CHARS)
  if (!isUuid(id)) return undefined
  if (content !== `${id}\ncrc32=${hex8(crc32(ascii.encode(id)))}\n`) return undefined
  return id
}
