import type { IncomingMessage } from 'node:http'
import { LedgerError, badRequest } from '../errors.js'
import { MAX_BODY_BYTES } from '../limits.js'

const tooLarge = (): LedgerError => new LedgerError(413, 'BODY_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`)

/**
 * Reads a JSON request body of at most {@link MAX_BODY_BYTES}: a larger `Content-Length` is
 * refused before a byte is read, a body that grows past it while streaming as soon as it does.
 * @throws LedgerError 413 `BODY_TOO_LARGE`, 400 `MALFORMED_JSON`.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '0')
  if (declared > MAX_BODY_BYTES) throw tooLarge()
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.byteLength
    if (bytes > MAX_BODY_BYTES) throw tooLarge()
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw badRequest('MALFORMED_JSON', 'the body is not valid JSON')
  }
}
